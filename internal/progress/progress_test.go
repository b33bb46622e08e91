package progress

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestLines(t *testing.T) {
	var out bytes.Buffer
	w := New(&out, 100<<20, "writing slot a")
	for i := 0; i < 100; i++ {
		if _, err := w.Write(make([]byte, 1<<20)); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 10 || lines[0] != "writing slot a: 10% (10 of 100 MB)" || lines[9] != "writing slot a: 100% (100 of 100 MB)" {
		t.Fatalf("progress lines:\n%s", out.String())
	}
	if New(nil, 1, "x") != io.Discard {
		t.Fatal("no writer should report nothing")
	}
}
