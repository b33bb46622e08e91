// Package rospath names the places on a running ros system that PID 1, the
// CLI and the services agree on.
package contract

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
	Config        = RunDir + "/config.yml"    // the cloud-config this boot applied
	ConfigErrors  = RunDir + "/config-errors" // why the sources were not used, if they were not
	ConfigDir     = RunDir + "/config.d"      // copies of this boot's config drive and command-line sources
	SSHKeysDir    = RunDir + "/ssh"           // USER.keys: the cloud-config's keys, read by sshd

	State        = "/state"
	StateConfig  = State + "/ros/cloud-config.yml"           // install -c, ros config set/merge
	LastGood     = State + "/ros/cloud-config.last-good.yml" // the last effective config that loaded
	ServicesFile = "/usr/share/ros/services.yaml"
	CatalogFile  = "/usr/share/ros/catalog.yaml" // services run only when enabled
	UdhcpcScript = "/usr/share/ros/udhcpc.script"
	ImagesDir    = "/usr/share/ros/images"      // NAME.tar per system service
	UserImages   = "/usr/share/ros/user-images" // NAME.tar preloaded into User Docker as NAME:latest
	ModulesFile  = "/usr/share/ros/modules"     // modules PID 1 loads
)

// The default user and the group that reaches both Docker sockets (the
// image's /etc/passwd and /etc/group, images/build/users.go, agree).
const (
	DefaultUser = "rancher"
	DefaultUID  = 1100
	DockerGID   = 233
)
