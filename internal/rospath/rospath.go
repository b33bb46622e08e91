// Package rospath names the places on a running ros system that PID 1, the
// CLI and the services agree on.
package rospath

const (
	SystemDockerDir  = "/run/system-docker"
	SystemDockerSock = SystemDockerDir + "/docker.sock"
	UserDockerDir    = "/run/docker"
	UserDockerSock   = UserDockerDir + "/docker.sock"
	SystemDockerData = "/var/lib/system-docker"
	UserDockerData   = "/var/lib/docker"

	RunDir        = "/run/ros"
	BootJSON      = RunDir + "/boot.json"
	Milestones    = RunDir + "/milestones"     // "name uptime" lines, appended by each stage
	StateDegraded = RunDir + "/state-degraded" // why STATE is not the real one
	Resolv        = RunDir + "/net/resolv.conf"

	State        = "/state"
	ServicesFile = "/usr/share/ros/services.yaml"
	ImagesDir    = "/usr/share/ros/images"      // NAME.tar per system service
	UserImages   = "/usr/share/ros/user-images" // NAME.tar preloaded into User Docker as NAME:latest
	ModulesFile  = "/usr/share/ros/modules"     // modules PID 1 loads
)
