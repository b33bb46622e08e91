package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/sys/atomicwriter"

	"github.com/ros-os/ros/init/services"
	"github.com/ros-os/ros/init/svcrun"
	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/rospath"
)

// configStore is where ros config reads and writes: the persistent document
// on STATE, and the copies of this boot's other sources that PID 1 left.
type configStore struct {
	stateFile                 string // rospath.StateConfig
	bootDir                   string // rospath.ConfigDir
	servicesFile, catalogFile string
	applied                   string // rospath.Config
}

func defaultStore() configStore {
	return configStore{rospath.StateConfig, rospath.ConfigDir, rospath.ServicesFile, rospath.CatalogFile, rospath.Config}
}

// persistent reads the document on STATE; a missing one is empty.
func (s configStore) persistent() ([]byte, error) {
	data, err := os.ReadFile(s.stateFile)
	switch {
	case os.IsNotExist(err):
		return nil, nil
	case os.IsPermission(err):
		return nil, fmt.Errorf("reading %s: %w: run it with sudo", s.stateFile, os.ErrPermission)
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", s.stateFile, err)
	}
	return data, nil
}

// sources are the persistent document and the boot's other sources, in
// merge order.
func (s configStore) sources() ([]config.Source, error) {
	data, err := s.persistent()
	if err != nil {
		return nil, err
	}
	srcs := []config.Source{{Name: s.stateFile, Data: data}}
	copies, _ := filepath.Glob(filepath.Join(s.bootDir, "*.yml"))
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

// effective is the merged config as PID 1 would apply it now. A user who
// may not read STATE's document (root only) gets the config applied at
// boot instead (readable by the docker group).
func (s configStore) effective() (config.Config, error) {
	srcs, err := s.sources()
	if errors.Is(err, os.ErrPermission) && s.applied != "" {
		if _, serr := os.Stat(s.applied); serr == nil {
			return s.appliedConfig()
		}
	}
	if err != nil {
		return config.Config{}, err
	}
	return config.Load(srcs...)
}

// appliedConfig is the cloud-config PID 1 applied at this boot; none if
// it left none.
func (s configStore) appliedConfig() (config.Config, error) {
	data, err := os.ReadFile(s.applied)
	if os.IsNotExist(err) {
		return config.Config{}, nil
	}
	if err != nil {
		return config.Config{}, fmt.Errorf("reading the applied cloud-config: %w", err)
	}
	return config.Parse(config.Source{Name: s.applied, Data: data})
}

// serviceFiles reads the image's built-in services and catalog.
func (s configStore) serviceFiles() (builtin, catalog services.File, err error) {
	files, err := svcrun.ReadFiles(s.servicesFile, s.catalogFile)
	if err != nil {
		return nil, nil, err
	}
	return files[0], files[1], nil
}

// services are the services the effective config runs.
func (s configStore) services() (cfg config.Config, all, builtin, catalog services.File, err error) {
	if cfg, err = s.effective(); err != nil {
		return
	}
	if builtin, catalog, err = s.serviceFiles(); err != nil {
		return
	}
	all, err = cfg.Services(builtin, catalog)
	return
}

// save writes a new persistent document after checking that the config
// it makes, with the boot's other sources, still loads and its services
// still resolve. Nothing is written otherwise.
func (s configStore) save(doc []byte) error {
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
	check.stateFile = tmp.Name()
	srcs, err := check.sources()
	if err != nil {
		return err
	}
	srcs[0].Name = s.stateFile
	cfg, err := config.Load(srcs...)
	if err != nil {
		return err
	}
	if builtin, catalog, err := s.serviceFiles(); err == nil {
		if _, err := cfg.Services(builtin, catalog); err != nil {
			return err
		}
	}
	return s.write(doc)
}

func (s configStore) write(doc []byte) error {
	if err := os.MkdirAll(filepath.Dir(s.stateFile), 0o755); err != nil {
		return permissionHint(fmt.Errorf("writing %s: %w", s.stateFile, err))
	}
	if err := atomicwriter.WriteFile(s.stateFile, doc, 0o600); err != nil {
		return permissionHint(fmt.Errorf("writing %s: %w", s.stateFile, err))
	}
	return nil
}

func permissionHint(err error) error {
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w: run it with sudo", err)
	}
	return err
}
