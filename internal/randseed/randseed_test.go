package randseed

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// fakePool records what is credited and hands out a counter's bytes.
type fakePool struct {
	credited  [][]byte
	next      byte
	notReady  bool // Read without waiting fails
	waited    bool
	creditErr error
}

func (f *fakePool) Credit(seed []byte) error {
	if f.creditErr != nil {
		return f.creditErr
	}
	f.credited = append(f.credited, bytes.Clone(seed))
	return nil
}

func (f *fakePool) Read(p []byte, wait bool) error {
	if !wait && f.notReady {
		return errors.New("EAGAIN")
	}
	f.waited = f.waited || wait
	f.next++
	for i := range p {
		p[i] = f.next
	}
	return nil
}

func TestUseCreditsOnceAndReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "random-seed")
	old := bytes.Repeat([]byte{0xaa}, Size)
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	p := &fakePool{}
	for boot := 0; boot < 2; boot++ {
		credited, err := Use(p, path)
		if err != nil || !credited {
			t.Fatalf("boot %d: Use = %v, %v; want true, nil", boot, credited, err)
		}
	}
	if len(p.credited) != 2 || !bytes.Equal(p.credited[0], old) {
		t.Fatalf("credited %d seeds, the first %x...; want the file's, then a fresh one", len(p.credited), p.credited[0][:4])
	}
	if bytes.Equal(p.credited[1], old) {
		t.Fatal("the same seed was credited at two boots")
	}
	now, err := os.ReadFile(path)
	if err != nil || len(now) != Size || bytes.Equal(now, p.credited[1]) {
		t.Fatalf("after the second boot the file holds %d bytes (err %v), want %d fresh ones", len(now), err, Size)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestUseWithoutSeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "random-seed")
	p := &fakePool{}
	credited, err := Use(p, path)
	if credited || err != nil || len(p.credited) != 0 {
		t.Fatalf("Use = %v, %v, credited %d; want false, nil, none", credited, err, len(p.credited))
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a seed was written before the pool was known to be initialised: %v", err)
	}
}

func TestUseShortSeedIsNotCredited(t *testing.T) {
	path := filepath.Join(t.TempDir(), "random-seed")
	os.WriteFile(path, []byte("0123456789"), 0o600)
	p := &fakePool{}
	credited, err := Use(p, path)
	if credited || err != nil || len(p.credited) != 0 {
		t.Fatalf("Use = %v, %v, credited %d; want false, nil, none", credited, err, len(p.credited))
	}
	if b, _ := os.ReadFile(path); len(b) != Size {
		t.Fatalf("the short seed was not replaced: %d bytes", len(b))
	}
}

// A pool that cannot give fresh bytes yet: the used seed is removed, never
// left to be credited again.
func TestUsedSeedRemovedWhenNotReplaceable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "random-seed")
	os.WriteFile(path, bytes.Repeat([]byte{1}, Size), 0o600)
	p := &fakePool{notReady: true}
	credited, err := Use(p, path)
	if !credited || err == nil {
		t.Fatalf("Use = %v, %v; want true and an error", credited, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the used seed is still there: %v", err)
	}
}

func TestCreditFailureKeepsSeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "random-seed")
	seed := bytes.Repeat([]byte{7}, Size)
	os.WriteFile(path, seed, 0o600)
	credited, err := Use(&fakePool{creditErr: errors.New("EPERM")}, path)
	if credited || err == nil {
		t.Fatalf("Use = %v, %v; want false and an error", credited, err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, seed) {
		t.Fatal("a seed that was never credited was replaced")
	}
}

// Save waits for the pool and makes STATE's ros directory if it is gone.
func TestSaveWaitsForThePool(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ros", "random-seed")
	p := &fakePool{notReady: true}
	if err := Save(p, path); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !p.waited || len(b) != Size {
		t.Fatalf("waited %v, wrote %d bytes; want a wait and %d", p.waited, len(b), Size)
	}
}

func TestPoolInfo(t *testing.T) {
	b := poolInfo([]byte{1, 2, 3, 4})
	if binary.NativeEndian.Uint32(b[0:]) != 32 || binary.NativeEndian.Uint32(b[4:]) != 4 || !bytes.Equal(b[8:], []byte{1, 2, 3, 4}) {
		t.Fatalf("rand_pool_info = %v; want 32 bits, 4 bytes, the seed", b)
	}
}

// The running kernel takes a seed through RNDADDENTROPY (as root: the
// struct's layout is what this checks; crediting the pool's own bytes back
// changes nothing on an initialised pool) and gives bytes without waiting.
func TestKernelPool(t *testing.T) {
	seed := make([]byte, Size)
	if err := Kernel.Read(seed, false); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(seed, make([]byte, Size)) {
		t.Fatal("getrandom gave zeros")
	}
	if err := Kernel.Credit(seed); err != nil {
		t.Fatalf("%v (the unit tests run as root)", err)
	}
}
