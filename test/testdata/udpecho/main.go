// Command udpecho is a UDP echo server and client for the end-to-end tests:
// busybox has no UDP server, and its nc no UDP mode.
//
//	udpecho serve ADDR     answer each datagram with "echo " and its text
//	udpecho ask ADDR TEXT  send TEXT, print the answer (retries for 10 s)
//	udpecho selftest       serve on loopback and ask itself
//
// The tests build it with CGO_ENABLED=0: one static file, for busybox images.
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "udpecho:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 2 && args[0] == "serve":
		conn, err := net.ListenPacket("udp", args[1])
		if err != nil {
			return err
		}
		fmt.Println("udpecho: serving on", conn.LocalAddr())
		return serve(conn)
	case len(args) == 3 && args[0] == "ask":
		answer, err := ask(args[1], args[2], 10*time.Second)
		if err != nil {
			return err
		}
		fmt.Println(answer)
		return nil
	case len(args) == 1 && args[0] == "selftest":
		conn, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		go func() { _ = serve(conn) }()
		answer, err := ask(conn.LocalAddr().String(), "selftest", 10*time.Second)
		if err != nil {
			return err
		}
		fmt.Println(answer)
		return nil
	}
	return errors.New("usage: udpecho serve ADDR | ask ADDR TEXT | selftest")
}

func serve(conn net.PacketConn) error {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			return err
		}
		if _, err := conn.WriteTo(append([]byte("echo "), buf[:n]...), from); err != nil {
			fmt.Fprintln(os.Stderr, "udpecho: answering", from, err)
		}
	}
}

// ask sends text until an answer comes, once a second: a datagram may be
// lost, or sent before the published port's NAT rule is in place.
func ask(addr, text string, within time.Duration) (string, error) {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	deadline := time.Now().Add(within)
	buf := make([]byte, 64<<10)
	var last error
	for time.Now().Before(deadline) {
		if _, err := conn.Write([]byte(text)); err != nil {
			last = err // ECONNREFUSED from an ICMP unreachable: try again
			time.Sleep(time.Second)
			continue
		}
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
		n, err := conn.Read(buf)
		if err == nil {
			return string(buf[:n]), nil
		}
		last = err
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			time.Sleep(time.Second) // refused: nothing listens yet
		}
	}
	return "", fmt.Errorf("no answer from %s within %s: %v", addr, within, last)
}
