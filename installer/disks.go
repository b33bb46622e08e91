package installer

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/procsys"
)

// Disk is a whole disk of the machine, as `ros install` lists the
// candidates when no -d is given.
type Disk struct {
	Path   string // /dev/vda
	Size   int64  // bytes
	Model  string // as the disk reports it, "" if none
	Holds  string // what its first bytes show it holds ("a GPT partition table"), "" if nothing
	Medium bool   // the live medium ros runs from: never a target
}

// Disks lists the whole disks of sys whose nodes are under dev, in name
// order: no partitions, CD drives, loop, RAM, zram or device-mapper
// devices.
func Disks(sys procsys.FS, dev string) []Disk {
	medium := ""
	if mounts, err := sys.Mounts(); err == nil {
		for _, m := range mounts {
			if m.Point == contract.LiveMedium {
				medium = m.Source
			}
		}
	}
	var out []Disk
	for _, ue := range sys.Block() {
		name := ue["DEVNAME"]
		if name == "" || ue["DEVTYPE"] != "disk" || skipDisk(name) {
			continue
		}
		d := Disk{Path: filepath.Join(dev, name), Size: int64(sys.Sectors(name)) * 512}
		if b, err := os.ReadFile(filepath.Join(sys.SysClassBlock(), name, "device", "model")); err == nil {
			d.Model = strings.TrimSpace(string(b))
		}
		if f, err := os.Open(d.Path); err == nil {
			header := make([]byte, headerSize())
			n, _ := f.ReadAt(header, 0)
			d.Holds = sniff(header[:n])
			f.Close()
		}
		d.Medium = medium != "" && medium == d.Path
		out = append(out, d)
	}
	return out
}

func skipDisk(name string) bool {
	for _, p := range []string{"loop", "ram", "zram", "dm-", "sr", "md"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
