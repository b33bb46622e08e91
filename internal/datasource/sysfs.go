package datasource

import (
	"sort"
	"strings"

	"github.com/ros-os/ros/internal/procsys"
)

// virtualPrefixes name block devices that cannot be a config drive.
var virtualPrefixes = []string{"loop", "ram", "zram"}

// BlockDevices returns the /dev paths, in name order, of the block devices
// of sys (procsys.Host on a machine) that could be a config drive: whole
// disks and partitions, but not loop, ram or zram devices nor empty ones
// such as a CD drive without a disc.
func BlockDevices(sys procsys.FS) []string {
	var devs []string
	for _, ue := range sys.Block() {
		name := ue["DEVNAME"]
		if name == "" || virtual(name) || sys.Sectors(name) == 0 {
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
