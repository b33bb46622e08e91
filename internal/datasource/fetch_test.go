package datasource

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestFetchURL(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int // one a request; the last repeats
		body      string
		timeout   time.Duration
		want      string
		wantErr   error
		wantMsg   string
		wantCalls int32 // 0: at least one
	}{
		{name: "ok", statuses: []int{200}, body: "#cloud-config\n", want: "#cloud-config\n", wantCalls: 1},
		{name: "1 MiB", statuses: []int{200}, body: strings.Repeat("#", MaxSize), want: strings.Repeat("#", MaxSize), wantCalls: 1},
		{name: "not found is not retried", statuses: []int{404}, body: "nope", wantMsg: "404 Not Found: check ros.cloud_config", wantCalls: 1},
		{name: "forbidden is not retried", statuses: []int{403}, wantMsg: "403 Forbidden: check ros.cloud_config", wantCalls: 1},
		{name: "server error is retried", statuses: []int{500, 200}, body: "#cloud-config\n", want: "#cloud-config\n", wantCalls: 2},
		{name: "too large", statuses: []int{200}, body: strings.Repeat("#", MaxSize+1), wantErr: ErrTooLarge, wantCalls: 1},
		{name: "server error until timeout", statuses: []int{503}, timeout: 300 * time.Millisecond,
			wantErr: context.DeadlineExceeded, wantMsg: "503 Service Unavailable, then context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, calls := serve(t, tt.statuses, tt.body)
			ctx := testContext(t, tt.timeout)
			data, err := Fetch(ctx, url+"/user-data")
			checkFetchErr(t, err, tt.wantErr, tt.wantMsg)
			if string(data) != tt.want {
				t.Errorf("Fetch() = %d bytes; want %d", len(data), len(tt.want))
			}
			if n := calls.Load(); n != tt.wantCalls && (tt.wantCalls != 0 || n == 0) {
				t.Errorf("Fetch() made %d requests; want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestFetchRetriesConnectionErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://user:secret@" + l.Addr().String() + "/user-data"
	l.Close()
	start := time.Now()
	_, err = Fetch(testContext(t, 800*time.Millisecond), url)
	checkFetchErr(t, err, context.DeadlineExceeded, "connection refused, then context deadline exceeded")
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("Fetch() error = %q; want the password left out", err)
	}
	if d := time.Since(start); d < 700*time.Millisecond {
		t.Errorf("Fetch() gave up after %s; want it to retry until the deadline", d)
	}
}

func TestFetchFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		path    string
		want    string
		wantErr error
		wantMsg string
	}{
		{name: "file", path: writeTemp(t, dir, "ok", "#cloud-config\n"), want: "#cloud-config\n"},
		{name: "empty file", path: writeTemp(t, dir, "empty", "")},
		{name: "missing", path: filepath.Join(dir, "missing"), wantErr: os.ErrNotExist,
			wantMsg: "reading cloud-config " + filepath.Join(dir, "missing") + ": no such file or directory: check ros.cloud_config"},
		{name: "too large", path: writeTemp(t, dir, "big", strings.Repeat("#", MaxSize+1)), wantErr: ErrTooLarge},
		{name: "directory", path: dir, wantMsg: "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := Fetch(context.Background(), tt.path)
			checkFetchErr(t, err, tt.wantErr, tt.wantMsg)
			if string(data) != tt.want {
				t.Errorf("Fetch() = %q; want %q", data, tt.want)
			}
		})
	}
}

func TestFetchUnsupported(t *testing.T) {
	for _, src := range []string{"ftp://example.com/user-data", "file:///etc/hosts", "user-data", "./user-data", "", "http://", "http:///user-data"} {
		t.Run(src, func(t *testing.T) {
			_, err := Fetch(context.Background(), src)
			checkFetchErr(t, err, ErrUnsupportedSource, "use an http:// or https:// URL or an absolute file path")
		})
	}
}

// serve starts a server answering each request with the next of statuses,
// the last one repeating, and body; it counts the requests.
func serve(t *testing.T, statuses []int, body string) (string, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := int(calls.Add(1))
		w.WriteHeader(statuses[min(n, len(statuses))-1])
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &calls
}

// testContext returns a context that ends after timeout, or with the test
// when timeout is 0.
func testContext(t *testing.T, timeout time.Duration) context.Context {
	if timeout == 0 {
		return t.Context()
	}
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// checkFetchErr checks err is want (when set) and holds msg (when set), on
// one line; with neither set, it checks there is no error.
func checkFetchErr(t *testing.T, err, want error, msg string) {
	t.Helper()
	switch {
	case want == nil && msg == "":
		if err != nil {
			t.Fatalf("Fetch() error = %v", err)
		}
	case err == nil:
		t.Fatalf("Fetch() error = nil; want %v %q", want, msg)
	case want != nil && !errors.Is(err, want):
		t.Errorf("Fetch() error = %v; want %v", err, want)
	case !strings.Contains(err.Error(), msg) || strings.Contains(err.Error(), "\n"):
		t.Errorf("Fetch() error = %q; want one line holding %q", err, msg)
	}
}
