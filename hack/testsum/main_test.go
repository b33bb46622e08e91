package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// testdata/events.json is `go test -json` on a module with a package that
// does not build, one without tests, and one whose tests pass, fail (a
// subtest), skip and run in parallel.
func TestSummary(t *testing.T) {
	in, err := os.Open("testdata/events.json")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var out, log bytes.Buffer
	s := &summary{out: &out, log: &log}
	if err := s.read(in); err != nil {
		t.Fatal(err)
	}
	if s.passed != 3 || s.failed != 2 || s.skipped != 1 || !s.broken {
		t.Errorf("passed %d, failed %d, skipped %d, broken %v; want 3, 2, 1, true", s.passed, s.failed, s.skipped, s.broken)
	}
	want := `# tj/b [tj/b.test]
b/b.go:2:12: undefined: undefined
FAIL	tj/b [build failed]
    a_test.go:4: no tool
--- SKIP: TestSkip (0.00s)
    a_test.go:5: bad
--- FAIL: TestFail/sub (0.00s)
--- FAIL: TestFail (0.00s)
FAIL
FAIL	tj	0.004s
?   	tj/c	[no test files]
`
	if out.String() != want {
		t.Errorf("printed:\n%s\nwant:\n%s", out.String(), want)
	}
	for _, line := range []string{"=== RUN   TestPar\n", "    a_test.go:3: hello\n", "--- PASS: TestFail/ok (0.00s)\n"} {
		if !strings.Contains(log.String(), line) {
			t.Errorf("the log lacks %q:\n%s", line, log.String())
		}
	}
}

func TestSummaryPass(t *testing.T) {
	in := `{"Action":"start","Package":"p"}
{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"output","Package":"p","Test":"TestA","Output":"--- PASS: TestA (0.00s)\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Output":"PASS\n"}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.1s\n"}
{"Action":"pass","Package":"p"}
go: a message of the go command
`
	for _, quiet := range []bool{false, true} {
		var out bytes.Buffer
		s := &summary{out: &out, log: &bytes.Buffer{}, quiet: quiet}
		if err := s.read(strings.NewReader(in)); err != nil {
			t.Fatal(err)
		}
		want := "ok  \tp\t0.1s\ngo: a message of the go command\n"
		if quiet {
			want = ""
		}
		if s.passed != 1 || s.failed != 0 || s.skipped != 0 || s.broken || out.String() != want {
			t.Errorf("quiet %v: passed %d, failed %d, skipped %d, broken %v, printed %q; want 1, 0, 0, false, %q",
				quiet, s.passed, s.failed, s.skipped, s.broken, out.String(), want)
		}
	}
}
