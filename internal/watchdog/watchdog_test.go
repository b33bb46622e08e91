package watchdog

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// A real watchdog is only driven under QEMU (the boot tests): armed on the
// build host it would reset the host once the test ends.

func TestInheritedIsOnlyAWatchdog(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, fd := range []int{0, 1, 2, int(w.Fd()), 999} {
		if _, ok := Inherited(fd, 60); ok {
			t.Errorf("descriptor %d adopted as a watchdog", fd)
		}
	}
}

func TestHandOverNeverReplacesADescriptor(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	d := &Dog{f: w}
	free := 200
	if err := d.HandOver(free); err != nil {
		t.Fatalf("HandOver(%d): %v", free, err)
	}
	defer unix.Close(free)
	flags, err := unix.FcntlInt(uintptr(free), unix.F_GETFD, 0)
	if err != nil || flags&unix.FD_CLOEXEC != 0 {
		t.Errorf("descriptor %d: flags %#x, %v; want open across exec", free, flags, err)
	}
	if err := d.HandOver(int(r.Fd())); err == nil {
		t.Errorf("HandOver onto the pipe's read end (in use) succeeded")
	}
	if _, err := unix.Write(free, []byte("x")); err != nil {
		t.Fatalf("writing through the copy: %v", err)
	}
	buf := make([]byte, 1)
	if n, err := r.Read(buf); n != 1 || err != nil {
		t.Errorf("the pipe's read end no longer reads: %d, %v", n, err)
	}
}
