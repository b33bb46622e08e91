// Command testsum reads the events of `go test -json` and prints what
// `go test` prints, plus the count of tests: each package's ok, FAIL or
// "no test files" line, the output of every test that failed or was
// skipped, and at the end one line such as
//
//	unit tests: 812 passed, 0 failed, 3 skipped
//
// Subtests count as tests. With -log it writes the whole output, as
// `go test -v` prints it, to a file. It exits 1 if a test, a package or a
// build failed.
//
//	go test -json ./... | go run ./hack/testsum -name 'unit tests' -log build/unit-test.log
//	go tool test2json < build/qemu-test.log | go run ./hack/testsum -name 'qemu tests' -quiet
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	name := flag.String("name", "tests", "what the count line calls the tests")
	logPath := flag.String("log", "", "write the `go test -v` output to this file")
	quiet := flag.Bool("quiet", false, "print only the count line")
	flag.Parse()
	s := &summary{out: os.Stdout, log: io.Discard, quiet: *quiet}
	if *logPath != "" {
		f, err := os.Create(*logPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testsum:", err)
			os.Exit(2)
		}
		defer f.Close()
		s.log = f
	}
	err := s.read(os.Stdin)
	fmt.Fprintf(s.out, "%s: %d passed, %d failed, %d skipped\n", *name, s.passed, s.failed, s.skipped)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsum:", err)
		os.Exit(2)
	}
	if s.broken {
		os.Exit(1)
	}
}

// event is one line of `go test -json` (see `go doc test2json`).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // of build-output and build-fail events
}

// summary counts the tests and prints the output worth reading.
type summary struct {
	out, log                io.Writer
	quiet                   bool
	output                  map[string][]string // of each running test, and of each package (Test "")
	passed, failed, skipped int
	broken                  bool // a test, package or build failed
}

// read reads the events in r. Lines that are not events are printed as
// they are: they are the go command's own messages.
func (s *summary) read(r io.Reader) error {
	s.output = map[string][]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			s.print(sc.Text() + "\n")
			fmt.Fprintln(s.log, sc.Text())
			continue
		}
		s.add(e)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading the events of go test -json: %w", err)
	}
	return nil
}

func (s *summary) add(e event) {
	fmt.Fprint(s.log, e.Output)
	key := e.Package + "\x00" + e.Test
	switch e.Action {
	case "output":
		s.output[key] = append(s.output[key], e.Output)
		return
	case "build-output":
		s.print(e.Output)
		return
	case "build-fail":
		s.broken = true
		return
	case "pass", "fail", "skip":
	default:
		return
	}
	lines := s.output[key]
	delete(s.output, key)
	if e.Test == "" {
		s.endPackage(e.Action, lines)
		return
	}
	switch e.Action {
	case "pass":
		s.passed++
	case "fail":
		s.failed++
		s.broken = true
		s.print(notMarkers(lines)...)
	case "skip":
		s.skipped++
		s.print(notMarkers(lines)...)
	}
}

// endPackage prints what go test prints at the end of a package: the ok or
// "no test files" line, or all the package's own output when it failed.
func (s *summary) endPackage(action string, lines []string) {
	if action == "fail" {
		s.broken = true
		s.print(notMarkers(lines)...)
		return
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "ok ") || strings.HasPrefix(l, "?  ") {
			s.print(l)
		}
	}
}

func (s *summary) print(lines ...string) {
	if !s.quiet {
		fmt.Fprint(s.out, strings.Join(lines, ""))
	}
}

// notMarkers drops the "=== RUN", "=== PAUSE", "=== CONT" lines.
func notMarkers(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "=== ") {
			out = append(out, l)
		}
	}
	return out
}
