package procsys

import (
	"os"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func TestBlock(t *testing.T) {
	root := t.TempDir()
	write(t, root, "sys/class/block/vda/uevent", "MAJOR=254\nDEVNAME=vda\nDEVTYPE=disk\n")
	write(t, root, "sys/class/block/vda/size", "8388608\n")
	write(t, root, "sys/class/block/vda1/uevent", "DEVNAME=vda1\nDEVTYPE=partition\nPARTNAME=ros-esp\n")
	write(t, root, "sys/class/block/cciss!c0d0/size", "16\n")
	fs := FS{root}
	got := fs.Block()
	want := []Uevent{{"MAJOR": "254", "DEVNAME": "vda", "DEVTYPE": "disk"}, {"DEVNAME": "vda1", "DEVTYPE": "partition", "PARTNAME": "ros-esp"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Block = %v, want %v", got, want)
	}
	if n := fs.Sectors("vda"); n != 8388608 {
		t.Errorf("Sectors(vda) = %d", n)
	}
	if n := fs.Sectors("cciss/c0d0"); n != 16 {
		t.Errorf("Sectors(cciss/c0d0) = %d", n)
	}
	if n := fs.Sectors("vdb"); n != 0 {
		t.Errorf("Sectors of a missing device = %d", n)
	}
}

func TestMemAndUptime(t *testing.T) {
	root := t.TempDir()
	fs := FS{root}
	if fs.MemUsedMB() != 0 || fs.Uptime() != 0 {
		t.Fatal("a missing /proc must read as zero")
	}
	write(t, root, "proc/meminfo", "MemTotal:        2048000 kB\nMemFree:          100 kB\nMemAvailable:    1024000 kB\n")
	write(t, root, "proc/uptime", "12.34 20.00\n")
	write(t, root, "proc/filesystems", "nodev\tsysfs\nnodev\toverlay\n\text4\n")
	if got := fs.MemUsedMB(); got != 1000 {
		t.Errorf("MemUsedMB = %d, want 1000", got)
	}
	if got := fs.Uptime(); got != 12.34 {
		t.Errorf("Uptime = %v", got)
	}
	if !fs.HasFilesystem("overlay") || !fs.HasFilesystem("ext4") || fs.HasFilesystem("vfat") {
		t.Error("HasFilesystem is wrong")
	}
	if _, err := ParseUptime([]byte(""), nil); err == nil {
		t.Error("ParseUptime of an empty file: no error")
	}
}

func TestIsMountPoint(t *testing.T) {
	if !IsMountPoint("/proc") {
		t.Error("/proc is a mount point on every Linux machine")
	}
	if IsMountPoint(t.TempDir()) {
		t.Error("a fresh temporary directory is not a mount point")
	}
}

// Moved from init/early with the code.
func TestHasFilesystem(t *testing.T) {
	procFilesystems := "nodev\tsysfs\nnodev\ttmpfs\n\text4\n\tsquashfs\nnodev\toverlay\n"
	for fs, want := range map[string]bool{"overlay": true, "ext4": true, "squashfs": true, "vfat": false, "nodev": false} {
		if got := hasFilesystem(procFilesystems, fs); got != want {
			t.Errorf("hasFilesystem(%q) = %v, want %v", fs, got, want)
		}
	}
}

func TestParseUptime(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{in: "4.31 7.02\n", want: 4.31},
		{in: "12345.67 1.00", want: 12345.67},
		{in: "", wantErr: true},
		{in: "abc 1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseUptime([]byte(tt.in), nil)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseUptime(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

// Moved from init/early with the code.
const vda2Uevent = "MAJOR=254\nMINOR=2\nDEVNAME=vda2\nDEVTYPE=partition\nDISKSEQ=1\nPARTN=2\nPARTNAME=ros-root-a\n"

func TestParseUevent(t *testing.T) {
	got := ParseUevent(vda2Uevent)
	want := Uevent{
		"MAJOR": "254", "MINOR": "2", "DEVNAME": "vda2", "DEVTYPE": "partition",
		"DISKSEQ": "1", "PARTN": "2", "PARTNAME": "ros-root-a",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestFamily walks a sysfs tree shaped like the kernel's: disk vdb
// (252:16) with partition vdb1 (252:17), which dm-0 holds.
func TestFamily(t *testing.T) {
	fs := FS{t.TempDir()}
	files := map[string]string{"vdb/dev": "252:16\n", "vdb/vdb1/dev": "252:17\n", "vdb/vdb1/partition": "1\n", "vdb/vdb1/holders/dm-0": ""}
	for name, data := range files {
		write(t, fs.Root, "sys/devices/virtual/block/"+name, data)
	}
	disk, part := unix.Mkdev(252, 16), unix.Mkdev(252, 17)
	if err := os.MkdirAll(fs.Path("/sys/dev/block"), 0o755); err != nil {
		t.Fatal(err)
	}
	for dev, target := range map[uint64]string{disk: "vdb", part: "vdb/vdb1"} {
		if err := os.Symlink("../../devices/virtual/block/"+target, fs.DevDir(dev)); err != nil {
			t.Fatal(err)
		}
	}
	fam := fs.Family(disk)
	if len(fam) != 2 || fam[disk].Name != "vdb" || fam[part].Name != "vdb1" {
		t.Fatalf("Family(vdb) = %v", fam)
	}
	if h := fam[part].Holders(); !reflect.DeepEqual(h, []string{"dm-0"}) || len(fam[disk].Holders()) != 0 {
		t.Errorf("Holders = %q and %q", h, fam[disk].Holders())
	}
	if d, ok := fs.PartitionOf(part); !ok || d.Path() != "/dev/vdb" {
		t.Errorf("PartitionOf(vdb1) = %v, %v", d, ok)
	}
	if _, ok := fs.PartitionOf(disk); ok {
		t.Error("PartitionOf(vdb): a disk is not a partition")
	}
	if (FS{t.TempDir()}).Family(disk) != nil || (BlockDev{Name: "cciss!c0d0"}).Path() != "/dev/cciss/c0d0" {
		t.Error("Family without sysfs, or Path of a name with '!', is wrong")
	}
}

func TestMountsAndSwaps(t *testing.T) {
	root := t.TempDir()
	fs := FS{root}
	if _, err := fs.Mounts(); err == nil {
		t.Error("Mounts without /proc/self/mountinfo: no error")
	}
	if s, err := fs.Swaps(); s != nil || err != nil {
		t.Errorf("Swaps without /proc/swaps (a kernel without swap) = %q, %v", s, err)
	}
	write(t, root, "proc/self/mountinfo", "22 1 259:2 / / rw - ext4 /dev/vda2 rw\n")
	write(t, root, "proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/dev/vda3\tpartition\t1\t0\t-2\n")
	if m, err := fs.Mounts(); err != nil || len(m) != 1 || m[0].Source != "/dev/vda2" {
		t.Errorf("Mounts = %v, %v", m, err)
	}
	if s, err := fs.Swaps(); err != nil || !reflect.DeepEqual(s, []string{"/dev/vda3"}) {
		t.Errorf("Swaps = %q, %v", s, err)
	}
}

func TestPeakRSS(t *testing.T) {
	root := t.TempDir()
	write(t, root, "proc/self/status", "Name:\tros\nVmPeak:\t  20000 kB\nVmHWM:\t   18432 kB\n")
	if got := (FS{root}).PeakRSSKiB(); got != 18432 {
		t.Errorf("PeakRSSKiB = %d, want 18432", got)
	}
	if got := Host.PeakRSSKiB(); got <= 0 {
		t.Errorf("PeakRSSKiB of this test process = %d", got)
	}
}

// The ESP systemd-boot started from: its EFI variable (UTF-16LE after four
// bytes of attributes), else the copy PID 1 published for containers.
func TestBootESP(t *testing.T) {
	fs := FS{t.TempDir()}
	if got := fs.BootESP(); got != "" {
		t.Fatalf("no variable, nothing published: %q", got)
	}
	write(t, fs.Root, "run/ros/boot-esp", "0A1B2C3D-0000-4000-8000-00000000000F\n")
	if got := fs.BootESP(); got != "0a1b2c3d-0000-4000-8000-00000000000f" {
		t.Errorf("published: %q", got)
	}
	v := []byte{7, 0, 0, 0}
	for _, c := range "5D1A7F12-AAAA-4BBB-8CCC-0123456789AB\x00" {
		v = append(v, byte(c), 0)
	}
	write(t, fs.Root, "sys/firmware/efi/efivars/LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f", string(v))
	if got := fs.BootESP(); got != "5d1a7f12-aaaa-4bbb-8ccc-0123456789ab" {
		t.Errorf("from the EFI variable: %q", got)
	}
	write(t, fs.Root, "sys/firmware/efi/efivars/LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f", "\x07\x00\x00\x00garbage")
	if got := fs.LoaderDevicePartUUID(); got != "" {
		t.Errorf("a variable that does not parse: %q", got)
	}
}
