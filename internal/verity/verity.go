// Package verity puts a dm-verity hash tree behind a root filesystem image
// and opens a slot through dm-verity, so that a block that differs from
// what was built (a flipped bit, a tampered slot) reads as an I/O error.
//
// The slot holds the squashfs padded to whole 4 KiB blocks, then the hash
// tree (no superblock). What the kernel needs is one kernel argument of
// the slot's boot entry, which the signed image config carries:
//
//	ros.verity=ROOTHASH,DATABLOCKS   (the tree starts at DATABLOCKS × 4096)
//
// The format and the device-mapper calls are containerd's go-dmverity.
package verity

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/containerd/go-dmverity/pkg/dm"
	dmverity "github.com/containerd/go-dmverity/pkg/verity"
	"golang.org/x/sys/unix"
)

// Arg is the kernel command line key.
const Arg = "ros.verity"

// BlockSize is the data and hash block size.
const BlockSize = 4096

// ErrBadArg: the ros.verity= value cannot be read.
var ErrBadArg = errors.New("bad " + Arg + "= value")

// Tree is what opening a slot through dm-verity needs.
type Tree struct {
	RootHash   []byte
	DataBlocks uint64 // the data is DataBlocks × BlockSize; the tree follows
}

// String is the ros.verity= value.
func (t Tree) String() string {
	return hex.EncodeToString(t.RootHash) + "," + strconv.FormatUint(t.DataBlocks, 10)
}

// KernelArg is the whole kernel argument, ros.verity=VALUE.
func (t Tree) KernelArg() string { return Arg + "=" + t.String() }

// Parse reads a ros.verity= value.
func Parse(s string) (Tree, error) {
	h, n, ok := strings.Cut(s, ",")
	root, err := hex.DecodeString(h)
	if !ok || err != nil || len(root) != 32 {
		return Tree{}, fmt.Errorf("%w %q: want SHA256HEX,DATABLOCKS", ErrBadArg, s)
	}
	blocks, err := strconv.ParseUint(n, 10, 64)
	if err != nil || blocks == 0 {
		return Tree{}, fmt.Errorf("%w %q: want SHA256HEX,DATABLOCKS", ErrBadArg, s)
	}
	return Tree{RootHash: root, DataBlocks: blocks}, nil
}

func params(blocks uint64) dmverity.Params {
	p := dmverity.DefaultParams() // sha256, format 1
	p.DataBlockSize, p.HashBlockSize = BlockSize, BlockSize
	p.DataBlocks = blocks
	p.HashAreaOffset = blocks * BlockSize
	p.NoSuperblock = true // everything is on the command line; no salt: the tree depends on the content only
	return p
}

// Append pads the image file at path to whole blocks and appends its hash
// tree. The result depends only on the image's bytes.
func Append(path string) (Tree, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Tree{}, fmt.Errorf("hashing for dm-verity: %w", err)
	}
	blocks := (uint64(fi.Size()) + BlockSize - 1) / BlockSize
	if blocks == 0 {
		return Tree{}, fmt.Errorf("hashing %s for dm-verity: the file is empty", path)
	}
	if err := os.Truncate(path, int64(blocks*BlockSize)); err != nil {
		return Tree{}, fmt.Errorf("hashing for dm-verity: %w", err)
	}
	p := params(blocks)
	root, err := dmverity.Create(&p, path, path)
	if err != nil {
		return Tree{}, fmt.Errorf("hashing %s for dm-verity: %w", path, err)
	}
	return Tree{RootHash: root, DataBlocks: blocks}, nil
}

// Check verifies the data of the image (or partition) at path against t.
func Check(path string, t Tree) error {
	p := params(t.DataBlocks)
	if err := dmverity.Verify(&p, path, path, t.RootHash); err != nil {
		return fmt.Errorf("%s does not match its dm-verity root hash %x: %w", path, t.RootHash, err)
	}
	return nil
}

// Open maps the slot on dev through dm-verity as a read-only device named
// name and returns the device node it made for it (/dev/NAME): devtmpfs
// makes /dev/dm-N, and there is no udev for /dev/mapper/NAME in an
// initramfs.
func Open(dev, name string, t Tree) (string, error) {
	p := params(t.DataBlocks)
	target, err := dm.BuildTargetParams(dm.OpenArgs{Version: p.HashType, DataDevice: dev, HashDevice: dev,
		DataBlockSize: BlockSize, HashBlockSize: BlockSize, DataBlocks: t.DataBlocks, HashName: p.HashName,
		RootDigest: t.RootHash, HashStartBytes: p.HashAreaOffset})
	if err != nil {
		return "", fmt.Errorf("dm-verity table for %s: %w", dev, err)
	}
	c, err := dm.Open()
	if err != nil {
		return "", fmt.Errorf("opening device-mapper (is dm_mod loaded?): %w", err)
	}
	defer c.Close()
	devno, err := c.CreateDevice(name)
	if err != nil {
		return "", err
	}
	table := []dm.Target{{Length: t.DataBlocks * (BlockSize / 512), Type: "verity", Params: target}}
	if err := c.LoadTable(name, table); err != nil {
		_ = c.RemoveDevice(name)
		return "", fmt.Errorf("%w (is dm_verity loaded?)", err)
	}
	if err := c.SuspendDevice(name, false); err != nil {
		_ = c.RemoveDevice(name)
		return "", err
	}
	node := "/dev/" + name
	_ = os.Remove(node)
	if err := unix.Mknod(node, unix.S_IFBLK|0o400, int(devno)); err != nil {
		return "", fmt.Errorf("making %s: %w", node, err)
	}
	return node, nil
}
