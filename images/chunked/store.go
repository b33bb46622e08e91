package chunked

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SlotFile is where, in dir (the upgrade record's directory on STATE),
// the index of what slot holds is kept: the chunks an upgrade can take
// from it instead of downloading them.
func SlotFile(dir, slot string) string { return filepath.Join(dir, "chunks-"+slot+".json") }

// Save writes ix to path atomically and durably.
func Save(path string, ix Index) error {
	raw, err := json.Marshal(ix)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("saving the slot's chunk index: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("saving the slot's chunk index: %w", err)
	}
	_, err = f.Write(raw)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("saving the slot's chunk index: %w", err)
	}
	return nil
}

// Load reads the index at path; a missing one is (nil, nil): the slot's
// chunks are not known, and are downloaded.
func Load(path string) (*Index, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ix Index
	if err := json.Unmarshal(raw, &ix); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &ix, nil
}

// Remove forgets what the slot holds (before it is overwritten).
func Remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("forgetting the slot's chunk index: %w", err)
	}
	return nil
}
