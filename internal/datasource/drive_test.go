package datasource

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ros-os/ros/internal/testutil/need"
)

func TestFindDrive(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("#", MaxSize+1)
	img := map[string]string{
		"iso":        buildISO(t, dir, "iso", "cidata", ud("iso"), "-joliet", "-rock"),
		"iso-joliet": buildISO(t, dir, "iso-joliet", "CIDATA", ud("joliet"), "-joliet"),
		"iso-rock":   buildISO(t, dir, "iso-rock", "cidata", ud("rock"), "-rock"),
		"iso-plain":  buildISO(t, dir, "iso-plain", "cidata", ud("plain")),
		"iso-empty":  buildISO(t, dir, "iso-empty", "cidata", meta(), "-joliet", "-rock"),
		"iso-big":    buildISO(t, dir, "iso-big", "cidata", files{"user-data": big}, "-joliet", "-rock"),
		"fat12":      buildFAT(t, filepath.Join(dir, "fat12"), 12, "CIDATA", ud("fat12")),
		"fat16":      buildFAT(t, filepath.Join(dir, "fat16"), 16, "cidata", ud("fat16")),
		"fat32":      buildFAT(t, filepath.Join(dir, "fat32"), 32, "CIDATA", ud("fat32")),
		"fat-other":  buildFAT(t, filepath.Join(dir, "fat-other"), 12, "other", ud("other")),
		"fat-empty":  buildFAT(t, filepath.Join(dir, "fat-empty"), 12, "CIDATA", meta()),
		"fat-big":    buildFAT(t, filepath.Join(dir, "fat-big"), 12, "CIDATA", files{"user-data": big}),
		"missing":    filepath.Join(dir, "missing"),
		"small":      writeTemp(t, dir, "small", strings.Repeat("x", 100)),
		"dir":        dir,
	}
	tests := []struct {
		name    string
		devs    []string
		wantDev string
		want    string
		wantErr error
		wantMsg string
	}{
		{"iso after unusable devices", []string{"missing", "small", "dir", "fat-other", "iso"}, "iso", "iso", nil, ""},
		{"iso joliet only", []string{"iso-joliet"}, "iso-joliet", "joliet", nil, ""},
		{"iso rock ridge only", []string{"iso-rock"}, "iso-rock", "rock", nil, ""},
		{"fat12", []string{"fat12"}, "fat12", "fat12", nil, ""},
		{"fat16", []string{"fat16"}, "fat16", "fat16", nil, ""},
		{"fat32", []string{"fat32"}, "fat32", "fat32", nil, ""},
		{"first fat wins", []string{"fat16", "iso"}, "fat16", "fat16", nil, ""},
		{"first iso wins", []string{"iso", "fat16"}, "iso", "iso", nil, ""},
		{"no cidata", []string{"missing", "small", "fat-other"}, "", "", nil, ""},
		{"no devices", nil, "", "", nil, ""},
		{"iso without user-data", []string{"iso-empty", "fat12"}, "iso-empty", "", ErrNoUserData, "put a user-data file on the drive"},
		{"fat without user-data", []string{"fat-empty", "iso"}, "fat-empty", "", ErrNoUserData, ""},
		{"iso without rock ridge or joliet", []string{"iso-plain"}, "iso-plain", "", ErrNoUserData, "genisoimage -joliet -rock"},
		{"iso user-data too large", []string{"iso-big"}, "iso-big", "", ErrTooLarge, ""},
		{"fat user-data too large", []string{"fat-big"}, "fat-big", "", ErrTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var devs []string
			for _, d := range tt.devs {
				devs = append(devs, img[d])
			}
			d, err := FindDrive(devs)
			data, wantDev := d.UserData, img[tt.wantDev]
			if want := "cidata:" + wantDev + " user-data"; err == nil && wantDev != "" && d.Name != want {
				t.Errorf("FindDrive() name = %q; want %q", d.Name, want)
			}
			if err == nil && wantDev == "" && d.Name != "" {
				t.Errorf("FindDrive() name = %q; want none", d.Name)
			}
			checkDriveErr(t, err, tt.wantErr, wantDev)
			if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("FindDrive() error = %q; want it to hold %q", err, tt.wantMsg)
			}
			if want := ud(tt.want)["user-data"]; tt.want != "" && string(data) != want {
				t.Errorf("FindDrive() user-data = %q; want %q", data, want)
			}
			if tt.want == "" && data != nil {
				t.Errorf("FindDrive() user-data = %q; want none", data)
			}
		})
	}
}

func TestFindDriveWithoutMtools(t *testing.T) {
	img := buildFAT(t, filepath.Join(t.TempDir(), "fat12"), 12, "CIDATA", ud("fat12"))
	t.Setenv("PATH", t.TempDir())
	_, err := FindDrive([]string{img})
	checkDriveErr(t, err, exec.ErrNotFound, img)
	if err != nil && !strings.Contains(err.Error(), "install mtools") {
		t.Errorf("FindDrive() error = %q; want it to say install mtools", err)
	}
}

// checkDriveErr checks err is want and, if any, one line naming dev.
func checkDriveErr(t *testing.T, err, want error, dev string) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("FindDrive() error = %v", err)
	case want == nil:
	case !errors.Is(err, want):
		t.Fatalf("FindDrive() error = %v; want %v", err, want)
	case !strings.Contains(err.Error(), dev) || strings.Contains(err.Error(), "\n"):
		t.Errorf("FindDrive() error = %q; want one line naming %s", err, dev)
	}
}

type files map[string]string

// ud returns a config drive's files with user-data naming host.
func ud(host string) files {
	return files{"user-data": "#cloud-config\nhostname: " + host + "\n", "meta-data": "instance-id: " + host + "\n"}
}

func meta() files { return files{"meta-data": "instance-id: none\n"} }

// buildISO makes dir/name.iso with genisoimage, labelled volid, holding fs
// at its root.
func buildISO(t *testing.T, dir, name, volid string, fs files, opts ...string) string {
	t.Helper()
	src := filepath.Join(dir, name+".d")
	img := filepath.Join(dir, name+".iso")
	args := append([]string{"-quiet", "-output", img, "-volid", volid}, opts...)
	for n, data := range fs {
		args = append(args, writeTemp(t, src, n, data))
	}
	run(t, "genisoimage", args...)
	return img
}

// FAT image sizes in KiB: mkfs.vfat picks FAT12 for 2 MiB and needs more
// clusters than 16 MiB has for FAT16 and 32 MiB for FAT32.
var fatKiB = map[int]int{12: 2048, 16: 20 << 10, 32: 40 << 10}

// buildFAT makes the FAT image img with mkfs.vfat, labelled label, and
// copies fs to its root with mcopy.
func buildFAT(t *testing.T, img string, fatBits int, label string, fs files) string {
	t.Helper()
	run(t, "mkfs.vfat", "-C", "-F", strconv.Itoa(fatBits), "-n", label, img, strconv.Itoa(fatKiB[fatBits]))
	src := img + ".d"
	for n, data := range fs {
		run(t, "mcopy", "-i", img, writeTemp(t, src, n, data), "::"+n)
	}
	return img
}

func writeTemp(t *testing.T, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	writeFile(t, path, data)
	return path
}

// run runs a tool that hack/deps.sh installs.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(need.Tool(t, name), args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func TestFindDriveOpenStack(t *testing.T) {
	dir := t.TempDir()
	const key1, key2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOne one@host", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITwo two@host"
	meta := `{"uuid": "x", "hostname": "os", "public_keys": {"b": "` + key2 + `\n", "a": "` + key1 + `"}}`
	full := files{"openstack/latest/meta_data.json": meta, "openstack/latest/user_data": "#cloud-config\nhostname: os\n"}
	keysOnly := files{"openstack/latest/meta_data.json": meta}
	tests := []struct {
		name     string
		dev      string
		userData string
		keys     []string
		wantMsg  string
	}{
		{"iso", buildTreeISO(t, dir, "iso", "config-2", full), "#cloud-config\nhostname: os\n", []string{key1, key2}, ""},
		{"fat", buildTreeFAT(t, filepath.Join(dir, "fat"), "CONFIG-2", full), "#cloud-config\nhostname: os\n", []string{key1, key2}, ""},
		{"keys and no user_data", buildTreeISO(t, dir, "keys", "config-2", keysOnly), "", []string{key1, key2}, ""},
		{"nothing", buildTreeISO(t, dir, "empty", "config-2", files{"openstack/latest/vendor_data.json": "{}"}), "", nil, ""},
		{"bad meta_data.json", buildTreeISO(t, dir, "bad", "config-2", files{"openstack/latest/meta_data.json": "{"}), "", nil, "meta_data.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := FindDrive([]string{tt.dev})
			if tt.wantMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), tt.dev) {
					t.Fatalf("FindDrive() error = %v; want one naming %s and %s", err, tt.dev, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("FindDrive() error = %v", err)
			}
			if d.Name != "config-2:"+tt.dev {
				t.Errorf("FindDrive() name = %q; want config-2:%s", d.Name, tt.dev)
			}
			if string(d.UserData) != tt.userData {
				t.Errorf("FindDrive() user-data = %q; want %q", d.UserData, tt.userData)
			}
			if strings.Join(d.Keys, "|") != strings.Join(tt.keys, "|") {
				t.Errorf("FindDrive() keys = %q; want %q", d.Keys, tt.keys)
			}
		})
	}
}

// buildTreeISO makes dir/name.iso with genisoimage, labelled volid, holding
// fs at the paths its names give.
func buildTreeISO(t *testing.T, dir, name, volid string, fs files) string {
	t.Helper()
	img := filepath.Join(dir, name+".iso")
	args := []string{"-quiet", "-output", img, "-volid", volid, "-joliet", "-rock", "-graft-points"}
	for n, data := range fs {
		args = append(args, n+"="+writeTemp(t, filepath.Join(dir, name+".d"), strings.ReplaceAll(n, "/", "_"), data))
	}
	run(t, "genisoimage", args...)
	return img
}

// buildTreeFAT makes the FAT12 image img labelled label, holding fs at the
// paths its names give.
func buildTreeFAT(t *testing.T, img, label string, fs files) string {
	t.Helper()
	run(t, "mkfs.vfat", "-C", "-F", "12", "-n", label, img, strconv.Itoa(fatKiB[12]))
	made := map[string]bool{}
	for n, data := range fs {
		parts := strings.Split(filepath.Dir(n), "/")
		for i := range parts {
			if d := strings.Join(parts[:i+1], "/"); !made[d] {
				run(t, "mmd", "-i", img, "::"+d)
				made[d] = true
			}
		}
		run(t, "mcopy", "-i", img, writeTemp(t, img+".d", strings.ReplaceAll(n, "/", "_"), data), "::"+n)
	}
	return img
}
