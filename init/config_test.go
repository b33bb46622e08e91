package rosinit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/datasource"
)

// TestReadConfig checks which cloud-config the machine applies, and which
// files it leaves, for each state of its sources.
func TestReadConfig(t *testing.T) {
	const good = "hostname: good\n"
	const lastGood = "hostname: lastgood\n"
	tests := []struct {
		name         string
		setup        func(*machine)
		wantHostname string
		wantErrors   string // in config-errors; "" means the file is absent
		wantUsing    string // in the banner; "" means no banner
		wantLastGood string // the last good config afterwards
		wantServices []string
	}{
		{"no source: the defaults, saved as the last good",
			func(*machine) {}, "", "", "", "#cloud-config\n", []string{"console", "docker", "network", "setup"}},
		{"the STATE file, saved as the last good; stale errors removed",
			func(m *machine) {
				m.write(m.opts.StateConfig, good+"ros: {services_include: {extra: true}}\n")
				m.write(m.opts.ConfigErrors, "old\n")
			}, "good", "", "", "#cloud-config\nhostname: good\nros:\n  services_include:\n    extra: true\n",
			[]string{"console", "docker", "extra", "network", "setup"}},
		{"a bad STATE file: the last good one",
			func(m *machine) {
				m.write(m.opts.StateConfig, "hostname: [a, b]\n")
				m.write(m.opts.LastGood, lastGood)
			}, "lastgood", m0(contract.StateConfig), "using the last good config (", lastGood, nil},
		{"an unreadable STATE file: the last good one",
			func(m *machine) {
				must(m.t, os.MkdirAll(m.opts.StateConfig, 0o755))
				m.write(m.opts.LastGood, lastGood)
			}, "lastgood", "reading ", "using the last good config (", lastGood, nil},
		{"a bad source and no last good one: the defaults",
			func(m *machine) { m.write(m.opts.StateConfig, "hostnme: x\n") },
			"", "hostnme", "using the built-in defaults instead.", "", nil},
		{"a bad source and a last good one that no longer parses: the defaults",
			func(m *machine) {
				m.write(m.opts.StateConfig, "hostnme: x\n")
				m.write(m.opts.LastGood, "hostnme: y\n")
			}, "", "hostnme", "using the built-in defaults instead.", "hostnme: y\n", nil},
		{"a bad source and a last good one that no longer resolves: the defaults",
			func(m *machine) {
				m.write(m.opts.StateConfig, "hostnme: x\n")
				m.write(m.opts.LastGood, "hostname: old\nros: {services_include: {gone: true}}\n")
			}, "", "hostnme", "using the built-in defaults instead.", "hostname: old\nros: {services_include: {gone: true}}\n",
			[]string{"console", "docker", "network", "setup"}},
		{"a config drive that cannot be read: the last good one",
			func(m *machine) {
				m.drive.dev, m.drive.err = "/dev/vdb", errors.New("cidata /dev/vdb: reading user-data: I/O error")
				m.write(m.opts.LastGood, lastGood)
			}, "lastgood", "I/O error", "using the last good config (", lastGood, nil},
		{"a missing command-line file: the last good one",
			func(m *machine) {
				m.write("/proc/cmdline", "ros.cloud_config=/nonexistent.yml\n")
				m.write(m.opts.LastGood, lastGood)
			}, "lastgood", "ros.cloud_config=/nonexistent.yml: ", "using the last good config (", lastGood, nil},
		{"services that do not resolve: the last good one",
			func(m *machine) {
				m.write(m.opts.StateConfig, "ros: {services_include: {gone: true}}\n")
				m.write(m.opts.LastGood, lastGood)
			}, "lastgood", `no service "gone" in the catalog`, "using the last good config (", lastGood, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			tt.setup(m)
			st := m.state()
			must(t, readCmdline(context.Background(), st))
			must(t, readConfig(context.Background(), st))
			checkConfigFiles(t, m, st, tt.wantErrors, tt.wantLastGood)
			if st.cfg.Hostname != tt.wantHostname {
				t.Errorf("hostname %q, want %q", st.cfg.Hostname, tt.wantHostname)
			}
			banner := strings.Contains(m.log.String(), "BANNER cloud-config NOT applied:")
			if banner != (tt.wantUsing != "") || !strings.Contains(m.log.String(), tt.wantUsing) {
				t.Errorf("log:\n%s\nwant a banner saying %q", m.log, tt.wantUsing)
			}
			if tt.wantServices != nil && !reflect.DeepEqual(st.serviceFile.Names(), tt.wantServices) {
				t.Errorf("services %v, want %v", st.serviceFile.Names(), tt.wantServices)
			}
			if want := []string{"console", "docker", "network", "setup"}; !reflect.DeepEqual(st.coreServices.Names(), want) {
				t.Errorf("core services %v, want %v", st.coreServices.Names(), want)
			}
		})
	}
}

// m0 is the first line of a config error about path: "PATH:LINE: ...".
func m0(path string) string { return path + ":1: " }

// checkConfigFiles checks config-errors, the last good config and the
// applied one (which may hold secrets: 0640, root and the docker group).
func checkConfigFiles(t *testing.T, m *machine, st *state, wantErrors, wantLastGood string) {
	t.Helper()
	errs := m.read(m.opts.ConfigErrors)
	if (wantErrors == "") != (errs == "") || !strings.Contains(errs, wantErrors) {
		t.Errorf("config-errors %q, want %q", errs, wantErrors)
	}
	if got := m.read(m.opts.LastGood); got != wantLastGood {
		t.Errorf("last good %q, want %q", got, wantLastGood)
	}
	applied, err := os.Stat(m.opts.Config)
	must(t, err)
	if applied.Mode().Perm() != 0o640 {
		t.Errorf("applied config mode %v, want 0640", applied.Mode().Perm())
	}
	if got, want := m.chowns[m.opts.Config], [2]int{0, contract.DockerGID}; got != want {
		t.Errorf("applied config owner %v, want %v", got, want)
	}
	want, err := config.Marshal(st.cfg)
	must(t, err)
	if got := m.read(m.opts.Config); got != string(want) {
		t.Errorf("applied config %q, want %q", got, want)
	}
}

// TestConfigSources checks that the boot-time sources are merged in order
// and copied to /run/ros/config.d, each naming where it came from.
func TestConfigSources(t *testing.T) {
	m := newMachine(t)
	m.write(m.opts.StateConfig, "hostname: state\nssh_authorized_keys: [ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@state]\n")
	m.drive.dev, m.drive.data = "/dev/vdb", "hostname: drive\n"
	cmdlineFile := filepath.Join(m.root, "cmdline.yml")
	m.write(cmdlineFile, "hostname: cmdline\n")
	m.write("/proc/cmdline", "ros.slot=a ros.cloud_config="+cmdlineFile+"\n")
	st := m.state()
	must(t, readCmdline(context.Background(), st))
	must(t, readConfig(context.Background(), st))
	if st.cfg.Hostname != "cmdline" || len(st.cfg.SSHAuthorizedKeys) != 1 {
		t.Errorf("config %+v, want the command line's hostname and STATE's key", st.cfg)
	}
	for file, want := range map[string]string{
		"20-cidata.yml": "hostname: drive\n", "20-cidata.yml.source": "cidata:/dev/vdb user-data\n",
		"30-cmdline.yml": "hostname: cmdline\n", "30-cmdline.yml.source": "ros.cloud_config=" + cmdlineFile + "\n",
	} {
		if got := m.read(filepath.Join(m.opts.ConfigDir, file)); got != want {
			t.Errorf("config.d/%s = %q, want %q", file, got, want)
		}
	}
}

// TestCmdlineConfigURL checks a URL on the command line is fetched after a
// DHCP lease on the first NIC.
func TestCmdlineConfigURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "#cloud-config\nhostname: fetched\n")
	}))
	defer srv.Close()
	tests := []struct {
		name     string
		nics     []string
		wantDHCP []string
		wantLog  string
	}{
		{"a NIC: DHCP on it first", []string{"eth1", "eth0"},
			[]string{"udhcpc -n -q -f -t 5 -i eth0 -s " + contract.UdhcpcScript}, ""},
		{"no NIC: said, and fetched anyway", nil, nil, "no network interface to fetch the config with"},
		// The NIC's driver is among the modules still loading in the
		// background (loadModules): DHCP waits for them.
		{"a NIC whose driver is still loading", []string{"later:eth0"},
			[]string{"udhcpc -n -q -f -t 5 -i eth0 -s " + contract.UdhcpcScript}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			var later []string
			for _, nic := range tt.nics {
				if name, ok := strings.CutPrefix(nic, "later:"); ok {
					later = append(later, name)
					continue
				}
				must(t, os.MkdirAll(filepath.Join(m.root, "sys/class/net", nic, "device"), 0o755))
			}
			m.runner.fail["udhcpc"] = errors.New("exit status 1")
			m.write("/proc/cmdline", "ros.cloud_config="+srv.URL+"/user-data\n")
			st := m.state()
			if later != nil {
				st.modules = &background{done: make(chan struct{})}
				go func() {
					time.Sleep(50 * time.Millisecond)
					for _, nic := range later {
						must(t, os.MkdirAll(filepath.Join(m.root, "sys/class/net", nic, "device"), 0o755))
					}
					close(st.modules.done)
				}()
			}
			must(t, readCmdline(context.Background(), st))
			must(t, readConfig(context.Background(), st))
			if st.cfg.Hostname != "fetched" {
				t.Errorf("hostname %q, want fetched\nlog:\n%s", st.cfg.Hostname, m.log)
			}
			if got := m.runner.commands(); !reflect.DeepEqual(got, tt.wantDHCP) {
				t.Errorf("ran %q, want %q", got, tt.wantDHCP)
			}
			if !strings.Contains(m.log.String(), tt.wantLog) {
				t.Errorf("log:\n%s\nwant %q", m.log, tt.wantLog)
			}
		})
	}
}

func TestReadConfigFailsOnTheImagesFiles(t *testing.T) {
	m := newMachine(t)
	m.write(m.opts.CatalogFile, "extra: {imag: x}\n")
	if err := readConfig(context.Background(), m.state()); err == nil {
		t.Error("readConfig with a broken catalog: no error")
	}
}

func TestWriteAppliedFails(t *testing.T) {
	m := newMachine(t)
	m.opts.Config = filepath.Join(m.root, "missing-dir", "config.yml")
	if err := writeApplied(m.opts, config.Config{}); err == nil || !strings.HasPrefix(err.Error(), "writing the applied cloud-config: ") {
		t.Errorf("writeApplied into a missing directory: %v", err)
	}
}

// TestDatasourceOrder checks the order the datasources are tried in: a
// config drive first; the metadata service only on a cloud whose DMI table
// names it, or with ros.datasource=metadata; and that a machine with
// neither asks no network at all.
func TestDatasourceOrder(t *testing.T) {
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@cloud"
	dhcp := []string{"udhcpc -n -q -f -t 5 -i eth0 -s " + contract.UdhcpcScript}
	tests := []struct {
		name      string
		vendor    string // DMI sys_vendor
		cmdline   string
		drive     bool
		metaErr   error
		wantHost  string
		wantKeys  int
		wantCalls int
		wantRun   []string
		wantFiles map[string]string
	}{
		{"QEMU, no drive: nothing tried", "QEMU", "", false, nil, "", 0, 0, nil, nil},
		{"no DMI, no drive: nothing tried", "", "", false, nil, "", 0, 0, nil, nil},
		{"EC2: the metadata service after DHCP", "Amazon EC2", "", false, nil, "meta", 1, 1, dhcp, map[string]string{
			"20-metadata-keys.yml":        "ssh_authorized_keys:\n    - " + key + "\n",
			"20-metadata-keys.yml.source": "metadata:http://169.254.169.254 public keys\n",
			"20-metadata.yml":             "#cloud-config\nhostname: meta\n",
		}},
		{"ros.datasource=metadata on an unknown cloud", "QEMU", " ros.datasource=metadata", false, nil, "meta", 1, 1, dhcp, nil},
		{"a config drive wins over the metadata service", "Amazon EC2", "", true, nil, "drive", 0, 0, nil, nil},
		{"metadata service down: said, last good config", "Amazon EC2", "", false, errors.New("metadata service http://169.254.169.254: no answer in 20s"), "", 0, 1, dhcp, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMachine(t)
			must(t, os.MkdirAll(filepath.Join(m.root, "sys/class/net/eth0/device"), 0o755))
			if tt.vendor != "" {
				m.write("/sys/class/dmi/id/sys_vendor", tt.vendor+"\n")
			}
			if tt.drive {
				m.drive.dev, m.drive.data = "/dev/vdb", "hostname: drive\n"
			}
			m.meta.data = datasource.Data{Name: "metadata:" + datasource.MetadataURL,
				UserData: []byte("#cloud-config\nhostname: meta\n"), Keys: []string{key}}
			m.meta.err = tt.metaErr
			m.write("/proc/cmdline", "ros.slot=a"+tt.cmdline+"\n")
			st := m.state()
			must(t, readCmdline(context.Background(), st))
			must(t, readConfig(context.Background(), st))
			if st.cfg.Hostname != tt.wantHost || len(st.cfg.SSHAuthorizedKeys) != tt.wantKeys {
				t.Errorf("config %+v, want hostname %q and %d keys\nlog:\n%s", st.cfg, tt.wantHost, tt.wantKeys, m.log)
			}
			if m.meta.calls != tt.wantCalls {
				t.Errorf("metadata service asked %d times, want %d", m.meta.calls, tt.wantCalls)
			}
			if got := m.runner.commands(); !reflect.DeepEqual(got, tt.wantRun) {
				t.Errorf("ran %q, want %q", got, tt.wantRun)
			}
			for file, want := range tt.wantFiles {
				if got := m.read(filepath.Join(m.opts.ConfigDir, file)); got != want {
					t.Errorf("config.d/%s = %q, want %q", file, got, want)
				}
			}
			if tt.metaErr != nil && !strings.Contains(m.read(m.opts.ConfigErrors), "no answer in 20s") {
				t.Errorf("config errors %q, want the metadata service's", m.read(m.opts.ConfigErrors))
			}
		})
	}
}
