package datasource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// MaxSize is the largest user-data or cloud-config read, in bytes.
const MaxSize = 1 << 20

// ErrTooLarge says user-data or a cloud-config is larger than MaxSize.
var ErrTooLarge = errors.New("larger than 1 MiB")

// ErrUnsupportedSource says a cloud-config source is neither a URL nor a file.
var ErrUnsupportedSource = errors.New("unsupported cloud-config source")

// Waits between attempts to fetch a URL: the first, and the longest.
const (
	firstBackoff = 500 * time.Millisecond
	maxBackoff   = 5 * time.Second
)

// Fetch returns the cloud-config at src: an http:// or https:// URL, or an
// absolute file path. A URL is fetched again, after a wait doubling from
// 0.5 s to 5 s, while the connection fails or the server answers 5xx, until
// ctx is done; a 4xx answer fails at once.
func Fetch(ctx context.Context, src string) ([]byte, error) {
	if filepath.IsAbs(src) {
		return readFile(src)
	}
	u, err := url.Parse(src)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("fetching %q: %w: use an http:// or https:// URL or an absolute file path in ros.cloud_config",
			src, ErrUnsupportedSource)
	}
	return fetchURL(ctx, u)
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err == nil {
		defer f.Close()
		var data []byte
		if data, err = readLimited(f); err == nil {
			return data, nil
		}
	}
	return nil, fmt.Errorf("reading cloud-config %s: %w: check ros.cloud_config", path, unwrapPath(err))
}

// unwrapPath drops the *os.PathError around err, which would name the file
// a second time.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func fetchURL(ctx context.Context, u *url.URL) ([]byte, error) {
	var last error
	for wait := firstBackoff; ; wait = min(2*wait, maxBackoff) {
		data, retry, err := get(ctx, u.String())
		if err == nil {
			return data, nil
		}
		if !retry {
			return nil, fmt.Errorf("fetching %s: %w: check ros.cloud_config", u.Redacted(), err)
		}
		if ctx.Err() == nil {
			last = err
		}
		if !sleep(ctx, wait) {
			return nil, givingUp(u, last, ctx.Err())
		}
	}
}

// givingUp describes fetching u failing with last until ctx ended with cause.
func givingUp(u *url.URL, last, cause error) error {
	if last == nil {
		return fmt.Errorf("fetching %s: %w: check the network", u.Redacted(), cause)
	}
	return fmt.Errorf("fetching %s: %v, then %w: check the network and the server", u.Redacted(), last, cause)
}

// get makes one GET request for rawURL; retry says a later one may succeed.
func get(ctx context.Context, rawURL string) (data []byte, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, true, unwrapURL(err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		return nil, true, errors.New(resp.Status)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, false, errors.New(resp.Status)
	}
	data, err = readLimited(resp.Body)
	return data, err != nil && !errors.Is(err, ErrTooLarge), err
}

// unwrapURL drops the *url.Error around err, which would name the URL a
// second time.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// sleep waits d, or until ctx is done; it says whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// readLimited reads r to its end, failing when it holds more than MaxSize bytes.
func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, ErrTooLarge
	}
	return data, nil
}
