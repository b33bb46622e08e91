// Package buildinfo carries the version stamped into the ros binary at link time.
package buildinfo

import "fmt"

// Set with -ldflags "-X github.com/ros-os/ros/internal/buildinfo.Version=...".
var (
	Version = "0.0.0-dev"
	Commit  = "unknown"
	Date    = "unknown"
)

// String is the one-line form printed by `ros version` and by init at boot.
func String() string {
	return fmt.Sprintf("ros version %s (commit %s, built %s)", Version, Commit, Date)
}
