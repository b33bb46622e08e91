package datasource

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ros-os/ros/partitions"
)

// virtualPrefixes name block devices that cannot be a config drive.
var virtualPrefixes = []string{"loop", "ram", "zram"}

// BlockDevices returns the /dev paths, in name order, of the block devices
// listed under sysClassBlock (partitions.SysClassBlock on a machine) that
// could be a config drive: whole disks and partitions, but not loop, ram or
// zram devices nor empty ones such as a CD drive without a disc.
func BlockDevices(sysClassBlock string) []string {
	var devs []string
	for _, ue := range partitions.ScanBlock(sysClassBlock) {
		name := ue["DEVNAME"]
		if name == "" || virtual(name) || sectors(sysClassBlock, name) == 0 {
			continue
		}
		devs = append(devs, "/dev/"+name)
	}
	sort.Strings(devs)
	return devs
}

func virtual(name string) bool {
	for _, p := range virtualPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// sectors returns the size in 512-byte sectors of the device named name,
// or 0 when it cannot be read. sysfs writes a "/" in a name as "!".
func sectors(sysClassBlock, name string) uint64 {
	dir := strings.ReplaceAll(name, "/", "!")
	data, err := os.ReadFile(filepath.Join(sysClassBlock, dir, "size"))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	return n
}
