// Package configstore is where the cloud-config lives on a running machine:
// the persistent document on STATE, this boot's other sources (the copies
// PID 1 left in /run/ros/config.d) and the config PID 1 applied. PID 1, ros
// config, ros service and the services' entrypoints read it the same way.
package configstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/sys/atomicwriter"

	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/services"
	"github.com/ros-os/ros/internal/svcrun"
)

// Store is where ros config reads and writes: the persistent document
// on STATE, and the copies of this boot's other sources that PID 1 left.
type Store struct {
	StateFile                 string // contract.StateConfig
	BootDir                   string // contract.ConfigDir
	ServicesFile, CatalogFile string
	Applied                   string // contract.Config
}

// Default is the running machine's store.
func Default() Store {
	return Store{contract.StateConfig, contract.ConfigDir, contract.ServicesFile, contract.CatalogFile, contract.Config}
}

// Persistent reads the document on STATE; a missing one is empty.
func (s Store) Persistent() ([]byte, error) {
	data, err := os.ReadFile(s.StateFile)
	switch {
	case os.IsNotExist(err):
		return nil, nil
	case os.IsPermission(err):
		return nil, fmt.Errorf("reading %s: %w: run it with sudo", s.StateFile, os.ErrPermission)
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", s.StateFile, err)
	}
	return data, nil
}

// Sources are the persistent document and the boot's other sources, in
// merge order.
func (s Store) Sources() ([]config.Source, error) {
	data, err := s.Persistent()
	if err != nil {
		return nil, err
	}
	srcs := []config.Source{{Name: s.StateFile, Data: data}}
	copies, _ := filepath.Glob(filepath.Join(s.BootDir, "*.yml"))
	sort.Strings(copies)
	for _, c := range copies {
		data, err := os.ReadFile(c)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", c, err)
		}
		name := c
		if b, err := os.ReadFile(c + ".source"); err == nil {
			name = strings.TrimSpace(string(b))
		}
		srcs = append(srcs, config.Source{Name: name, Data: data})
	}
	return srcs, nil
}

// Effective is the merged config as PID 1 would apply it now. A user who
// may not read STATE's document (root only) gets the config applied at
// boot instead (readable by the docker group).
func (s Store) Effective() (config.Config, error) {
	srcs, err := s.Sources()
	if errors.Is(err, os.ErrPermission) && s.Applied != "" {
		if _, serr := os.Stat(s.Applied); serr == nil {
			return s.AppliedConfig()
		}
	}
	if err != nil {
		return config.Config{}, err
	}
	return config.Load(srcs...)
}

// AppliedConfig is the cloud-config PID 1 applied at this boot; none if
// it left none.
func (s Store) AppliedConfig() (config.Config, error) {
	data, err := os.ReadFile(s.Applied)
	if os.IsNotExist(err) {
		return config.Config{}, nil
	}
	if err != nil {
		return config.Config{}, fmt.Errorf("reading the applied cloud-config: %w", err)
	}
	return config.Parse(config.Source{Name: s.Applied, Data: data})
}

// ServiceFiles reads the image's built-in services and catalog.
func (s Store) ServiceFiles() (builtin, catalog services.File, err error) {
	files, err := svcrun.ReadFiles(s.ServicesFile, s.CatalogFile)
	if err != nil {
		return nil, nil, err
	}
	return files[0], files[1], nil
}

// Services are the services the effective config runs.
func (s Store) Services() (cfg config.Config, all, builtin, catalog services.File, err error) {
	if cfg, err = s.Effective(); err != nil {
		return
	}
	if builtin, catalog, err = s.ServiceFiles(); err != nil {
		return
	}
	all, err = cfg.Services(builtin, catalog)
	return
}

// Save writes a new persistent document after checking that the config
// it makes, with the boot's other sources, still loads and its services
// still resolve. Nothing is written otherwise.
func (s Store) Save(doc []byte) error {
	check := s
	tmp, err := os.CreateTemp("", "cloud-config-*.yml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(doc); err != nil {
		return err
	}
	tmp.Close()
	check.StateFile = tmp.Name()
	srcs, err := check.Sources()
	if err != nil {
		return err
	}
	srcs[0].Name = s.StateFile
	cfg, err := config.Load(srcs...)
	if err != nil {
		return err
	}
	if builtin, catalog, err := s.ServiceFiles(); err == nil {
		if _, err := cfg.Services(builtin, catalog); err != nil {
			return err
		}
	}
	return s.write(doc)
}

func (s Store) write(doc []byte) error {
	if err := os.MkdirAll(filepath.Dir(s.StateFile), 0o755); err != nil {
		return permissionHint(fmt.Errorf("writing %s: %w", s.StateFile, err))
	}
	if err := atomicwriter.WriteFile(s.StateFile, doc, 0o600); err != nil {
		return permissionHint(fmt.Errorf("writing %s: %w", s.StateFile, err))
	}
	return nil
}

func permissionHint(err error) error {
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w: run it with sudo", err)
	}
	return err
}
