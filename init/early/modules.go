package early

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ros-os/ros/init/kmod"
	"github.com/ros-os/ros/internal/procsys"
)

// parseModuleList reads one module name per line; blank lines and
// "#" comments are skipped.
func parseModuleList(r io.Reader) ([]string, error) {
	var names []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		names = append(names, strings.Fields(line)...)
	}
	return names, sc.Err()
}

func readModuleList(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseModuleList(f)
}

// loadModules loads the initramfs's disk and filesystem drivers. A module
// that fails is logged, not fatal: the disk may not need it, and if it does,
// finding the root slot fails with the list of devices seen.
func loadModules(b *boot) error {
	names, err := readModuleList(modulesList)
	if errors.Is(err, fs.ErrNotExist) {
		b.log.Printf("no %s: loading no modules", modulesList)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", modulesList, err)
	}
	if err := loadFrom(b, "/", names...); err != nil {
		b.log.Printf("WARNING: %v", err)
	}
	return nil
}

// loadFrom loads modules from the modules directory under root ("/" for the
// initramfs, sysroot for the slot).
func loadFrom(b *boot, root string, names ...string) error {
	rel, err := kmod.Release()
	if err != nil {
		return err
	}
	l, err := kmod.New(filepath.Join(root, modulesDir, rel), kmod.WithLogf(b.log.Printf))
	if err != nil {
		return err
	}
	return l.Load(names...)
}

// loadOverlay loads overlayfs for /etc from the slot's modules (the same
// kernel release), unless it is built in or already loaded. A failure is
// logged: the overlay mount then says what is missing.
func loadOverlay(b *boot) error {
	if procsys.Host.HasFilesystem("overlay") {
		return nil
	}
	if err := loadFrom(b, sysroot, "overlay"); err != nil {
		b.log.Printf("WARNING: %v", err)
	}
	return nil
}
