package verity

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func image(t *testing.T, size int) string {
	t.Helper()
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "rootfs.squashfs")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The tree goes behind the padded data, the data checks out against the
// root hash, and one flipped byte anywhere in the data does not.
func TestAppendCheck(t *testing.T) {
	p := image(t, 3*BlockSize+100)
	tree, err := Append(p)
	if err != nil {
		t.Fatal(err)
	}
	if tree.DataBlocks != 4 {
		t.Fatalf("data blocks %d, want 4 (padded)", tree.DataBlocks)
	}
	fi, _ := os.Stat(p)
	if fi.Size() <= 4*BlockSize {
		t.Fatalf("size %d: no tree behind the data", fi.Size())
	}
	if err := Check(p, tree); err != nil {
		t.Fatal(err)
	}
	again, err := Parse(tree.String())
	if err != nil || !bytes.Equal(again.RootHash, tree.RootHash) || again.DataBlocks != tree.DataBlocks {
		t.Fatalf("Parse(%q) = %v, %v", tree.String(), again, err)
	}
	// The same bytes give the same tree (reproducible builds).
	q := filepath.Join(t.TempDir(), "copy")
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(q, b[:3*BlockSize+100], 0o644); err != nil {
		t.Fatal(err)
	}
	if t2, err := Append(q); err != nil || t2.String() != tree.String() {
		t.Fatalf("a second tree of the same bytes: %v %v, want %v", t2, err, tree)
	}

	for _, off := range []int64{0, 100, 2*BlockSize + 7, 3*BlockSize + 99} {
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		one := make([]byte, 1)
		f.ReadAt(one, off)
		one[0] ^= 0x01
		f.WriteAt(one, off)
		if err := Check(p, tree); err == nil {
			t.Errorf("a flipped bit at %d passes the check", off)
		}
		one[0] ^= 0x01
		f.WriteAt(one, off)
		f.Close()
	}
	if err := Check(p, tree); err != nil {
		t.Fatalf("restored: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{"", "abc", "00,1", "zz" + string(bytes.Repeat([]byte("0"), 62)) + ",1",
		string(bytes.Repeat([]byte("0"), 64)) + ",0", string(bytes.Repeat([]byte("0"), 64)) + ",x"} {
		if _, err := Parse(s); !errors.Is(err, ErrBadArg) {
			t.Errorf("Parse(%q) = %v, want ErrBadArg", s, err)
		}
	}
}
