package procsys

import (
	"os"
	"path/filepath"
	"strings"
	"unicode/utf16"

	"github.com/ros-os/ros/internal/contract"
)

// EFIVars is where efivarfs is mounted.
const EFIVars = "/sys/firmware/efi/efivars"

// loaderVendor is systemd-boot's vendor GUID for the variables it exports.
const loaderVendor = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"

// LoaderDevicePartUUID is the partition GUID of the ESP systemd-boot was
// started from (its LoaderDevicePartUUID EFI variable), lower case; "" if
// unknown: no efivarfs, no systemd-boot (a direct kernel boot), or a
// variable that does not parse.
func (f FS) LoaderDevicePartUUID() string {
	b, err := os.ReadFile(filepath.Join(f.Path(EFIVars), "LoaderDevicePartUUID-"+loaderVendor))
	if err != nil || len(b) < 4 {
		return ""
	}
	return parseUTF16Var(b[4:]) // 4 bytes of attributes, then UTF-16LE
}

func parseUTF16Var(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := uint16(b[i]) | uint16(b[i+1])<<8
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return parseUUID(string(utf16.Decode(u)))
}

// parseUUID is s lower-cased if it looks like a GUID, else "".
func parseUUID(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) != 36 || strings.Count(s, "-") != 4 {
		return ""
	}
	return s
}

// BootESP is the PARTUUID of the ESP this machine booted from: systemd-boot's
// variable where efivarfs is mounted, else what PID 1 published from it in
// contract.BootESP (containers, such as the console, see no efivarfs); ""
// if unknown.
func (f FS) BootESP() string {
	if v := f.LoaderDevicePartUUID(); v != "" {
		return v
	}
	b, err := os.ReadFile(f.Path(contract.BootESP))
	if err != nil {
		return ""
	}
	return parseUUID(string(b))
}

// DiskOf is the kernel name of the disk that holds partition part ("vda"
// for "vda2"), from sysfs; "" if part is not a partition.
func (f FS) DiskOf(part string) string {
	dir := filepath.Join(f.SysClassBlock(), strings.ReplaceAll(part, "/", "!"))
	if _, err := os.Stat(filepath.Join(dir, "partition")); err != nil {
		return ""
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return ""
	}
	return strings.ReplaceAll(filepath.Base(filepath.Dir(real)), "!", "/")
}
