package rosinit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/sys/atomicwriter"
	"gopkg.in/yaml.v3"

	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/datasource"
	"github.com/ros-os/ros/internal/services"
	"github.com/ros-os/ros/internal/svcrun"
)

// cmdlineConfig is the kernel argument naming a cloud-config URL or file.
const cmdlineConfig = "ros.cloud_config"

// readConfig loads the cloud-config sources, later ones winning: the file on
// STATE (ros install -c, ros config), a NoCloud config drive, the kernel
// command line. A source that cannot be read or does not check out makes
// the whole config fall back to the last good one: the machine always boots
// to a console and says why.
func readConfig(ctx context.Context, st *state) error {
	builtin, catalog, err := loadServiceFiles(st.opts.paths)
	if err != nil {
		return err // the image's own files: not the user's doing
	}
	srcs, readErr := configSources(ctx, st)
	cfg, file, err := effectiveConfig(srcs, builtin, catalog)
	if err = errors.Join(readErr, err); err != nil {
		cfg, file = fallbackConfig(st, err, builtin, catalog)
	} else {
		saveLastGood(st, cfg)
		_ = os.Remove(st.opts.ConfigErrors)
	}
	st.cfg, st.serviceFile, st.coreServices = cfg, file, builtin
	return writeApplied(st.opts, cfg)
}

// effectiveConfig merges the sources and works out the services they give.
func effectiveConfig(srcs []config.Source, builtin, catalog services.File) (config.Config, services.File, error) {
	cfg, err := config.Load(srcs...)
	if err != nil {
		return cfg, nil, err
	}
	file, err := cfg.Services(builtin, catalog)
	return cfg, file, err
}

// fallbackConfig is the last good config, or none, after err.
func fallbackConfig(st *state, err error, builtin, catalog services.File) (config.Config, services.File) {
	msg := strings.ReplaceAll(err.Error(), "; ", "\n")
	_ = os.WriteFile(st.opts.ConfigErrors, []byte(msg+"\n"), 0o644)
	cfg, used := lastGood(st.opts.LastGood)
	file, ferr := cfg.Services(builtin, catalog)
	if ferr != nil { // the catalog changed under the last good config
		cfg, used, file = config.Config{}, "the built-in defaults", builtin
	}
	lines := []string{"cloud-config NOT applied:"}
	lines = append(lines, strings.Split(msg, "\n")...)
	lines = append(lines, "using "+used+" instead.",
		"Fix the source named above; check a file with: ros config validate FILE")
	st.log.Banner(lines...)
	return cfg, file
}

// lastGood reads the last config that loaded (at path), or gives the
// defaults.
func lastGood(path string) (config.Config, string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return config.Config{}, "the built-in defaults"
	}
	cfg, err := config.Parse(config.Source{Name: path, Data: data})
	if err != nil {
		return config.Config{}, "the built-in defaults"
	}
	when := "an earlier boot"
	if fi, err := os.Stat(path); err == nil {
		when = fi.ModTime().UTC().Format(time.DateTime + " UTC")
	}
	return cfg, "the last good config (" + path + ", " + when + ")"
}

func saveLastGood(st *state, cfg config.Config) {
	data, err := config.Marshal(cfg)
	if err == nil {
		err = writeFileAtomic(st.opts.LastGood, data, 0o600)
	}
	if err != nil {
		st.log.Printf("saving the last good cloud-config: %v", err)
	}
}

// writeApplied leaves the applied config where services read it.
func writeApplied(o options, cfg config.Config) error {
	data, err := config.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("writing the applied cloud-config: %w", err)
	}
	// It may hold secrets (write_files): root and the docker group only.
	if err := os.WriteFile(o.Config, data, 0o640); err != nil {
		return fmt.Errorf("writing the applied cloud-config: %w", err)
	}
	return o.chown(o.Config, 0, contract.DockerGID)
}

// configSources reads every source there is, in merge order. The config
// drive's and the command line's are copied to /run/ros/config.d for ros
// config to merge the same way.
func configSources(ctx context.Context, st *state) ([]config.Source, error) {
	var srcs []config.Source
	var errs []error
	if data, err := os.ReadFile(st.opts.StateConfig); err == nil {
		srcs = append(srcs, config.Source{Name: st.opts.StateConfig, Data: data})
	} else if !os.IsNotExist(err) {
		errs = append(errs, fmt.Errorf("reading %s: %w", st.opts.StateConfig, err))
	}
	if d, err := cloudData(ctx, st); err != nil {
		errs = append(errs, err)
	} else if d.Name != "" {
		srcs = append(srcs, keepData(st, d)...)
	}
	if src, ok := st.cmdline.Args[cmdlineConfig]; ok {
		data, err := fetchCmdlineConfig(ctx, st, src)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%s: %w", cmdlineConfig, src, err))
		} else {
			srcs = append(srcs, keepSource(st.opts.ConfigDir, "30-cmdline.yml", cmdlineConfig+"="+src, data))
		}
	}
	return srcs, errors.Join(errs...)
}

// cmdlineDatasource is the kernel argument that, set to "metadata", has
// the metadata service tried on a cloud its DMI table does not name.
const cmdlineDatasource = "ros.datasource"

// cloudData reads the first datasource there is, in this order: a config
// drive (NoCloud cidata, OpenStack config-2), then the EC2-style metadata
// service, only when the machine's DMI names a cloud that serves it or the
// command line has ros.datasource=metadata. A machine with neither tries
// no network at all, so it boots at full speed.
func cloudData(ctx context.Context, st *state) (datasource.Data, error) {
	d, err := st.opts.configDrive(st.opts.proc)
	if err != nil || d.Name != "" {
		return d, err
	}
	cloud := datasource.MetadataCloud(st.opts.proc.DMI)
	if cloud == "" && st.cmdline.Args[cmdlineDatasource] != "metadata" {
		return d, nil
	}
	if cloud == "" {
		cloud = cmdlineDatasource + "=metadata"
	}
	st.log.Printf("cloud-config: asking the metadata service (%s)", cloud)
	earlyDHCP(ctx, st)
	return st.opts.metadata(ctx)
}

// keepData gives a datasource's SSH keys, then its user-data, as sources,
// each kept in /run/ros/config.d (keepSource).
func keepData(st *state, d datasource.Data) []config.Source {
	kind, _, _ := strings.Cut(d.Name, ":")
	st.log.Printf("cloud-config: %s: %d SSH keys, %d bytes of user-data", d.Name, len(d.Keys), len(d.UserData))
	var srcs []config.Source
	if len(d.Keys) > 0 {
		keys, _ := yaml.Marshal(struct {
			Keys []string `yaml:"ssh_authorized_keys"`
		}{d.Keys})
		srcs = append(srcs, keepSource(st.opts.ConfigDir, "20-"+kind+"-keys.yml", d.Name+" public keys", keys))
	}
	if d.UserData != nil {
		srcs = append(srcs, keepSource(st.opts.ConfigDir, "20-"+kind+".yml", d.Name, d.UserData))
	}
	return srcs
}

// keepSource copies a boot-time source to DIR/FILE (/run/ros/config.d),
// and names where it came from in DIR/FILE.source.
func keepSource(dir, file, name string, data []byte) config.Source {
	_ = os.MkdirAll(dir, 0o755)
	_ = os.WriteFile(filepath.Join(dir, file), data, 0o600)
	_ = os.WriteFile(filepath.Join(dir, file+".source"), []byte(name+"\n"), 0o644)
	return config.Source{Name: name, Data: data}
}

// fetchCmdlineConfig reads a file, or fetches a URL after a one-off DHCP
// lease on the first NIC (the network service is not up yet).
func fetchCmdlineConfig(ctx context.Context, st *state, src string) ([]byte, error) {
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		earlyDHCP(ctx, st)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return datasource.Fetch(ctx, src)
}

func loadServiceFiles(p paths) (builtin, catalog services.File, err error) {
	files, err := svcrun.ReadFiles(p.ServicesFile, p.CatalogFile)
	if err != nil {
		return nil, nil, err
	}
	return files[0], files[1], nil
}

// writeFileAtomic replaces path with data (synced, then renamed into
// place), creating its directory.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicwriter.WriteFile(path, data, mode)
}
