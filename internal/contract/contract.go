// Package contract is what the image build and the running system agree
// on: the paths in the root filesystem, in the initramfs and on STATE, the
// sockets, the default user and the groups. It is a leaf: it imports
// nothing of ros, and the image builder, the installer, both init stages,
// the upgrader and the CLI import it.
package contract

const (
	SystemDockerDir  = "/run/system-docker"
	SystemDockerSock = SystemDockerDir + "/docker.sock"
	UserDockerDir    = "/run/docker"
	UserDockerSock   = UserDockerDir + "/docker.sock"
	SystemDockerData = "/var/lib/system-docker"
	UserDockerData   = "/var/lib/docker"
	Crun             = "/usr/bin/crun" // the OCI runtime both daemons run containers with

	RunDir        = "/run/ros"
	BootJSON      = RunDir + "/boot.json"
	Milestones    = RunDir + "/milestones"     // "name uptime" lines, appended by each stage
	StateDegraded = RunDir + "/state-degraded" // why STATE is not the real one, then "repair: " what to do
	Resolv        = RunDir + "/net/resolv.conf"
	Config        = RunDir + "/config.yml"         // the cloud-config this boot applied
	ConfigErrors  = RunDir + "/config-errors"      // why the sources were not used, if they were not
	ConfigDir     = RunDir + "/config.d"           // copies of this boot's config drive and command-line sources
	SSHKeysDir    = RunDir + "/ssh"                // USER.keys: the cloud-config's keys, read by sshd
	ESPDir        = RunDir + "/esp"                // where the running system mounts the ESP when it needs it
	UpgradeLock   = RunDir + "/upgrade.lock"       // held by ros os upgrade, ros os rollback and boot assessment
	OSStatus      = RunDir + "/os-status.json"     // the slots' status, published for ros os status without root
	BootESP       = RunDir + "/boot-esp"           // the PARTUUID of the ESP systemd-boot started from, for containers without efivarfs
	RegistryAuth  = RunDir + "/registry-auth.json" // ros.registry_auths as a Docker config.json, root only
	Environment   = RunDir + "/environment"        // ros.environment as export lines, which the services' /etc/profile sources

	RecordDir  = "/var/lib/ros/os"          // on STATE
	RecordPath = RecordDir + "/record.json" // the upgrade record

	// State is where STATE is mounted. The installer seeds a fresh STATE
	// with the paths relative to its root (StateRosDir, OnStateConfig).
	State         = "/state"
	StateRosDir   = "ros"
	OnStateConfig = StateRosDir + "/cloud-config.yml"
	StateConfig   = State + "/" + OnStateConfig                               // install -c, ros config set/merge
	LastGood      = State + "/" + StateRosDir + "/cloud-config.last-good.yml" // the last effective config that loaded
	RandomSeed    = State + "/" + StateRosDir + "/random-seed"                // credited by the initramfs, rewritten at each boot (internal/randseed)

	ServicesFile = "/usr/share/ros/services.yaml"
	CatalogFile  = "/usr/share/ros/catalog.yaml" // services run only when enabled
	UdhcpcScript = "/usr/share/ros/udhcpc.script"
	ImagesDir    = "/usr/share/ros/images"      // OCI image layout: the system service images, ros/NAME:VERSION
	UserImages   = "/usr/share/ros/user-images" // OCI image layout: images preloaded into User Docker, NAME:latest
	ModulesFile  = "/usr/share/ros/modules"     // modules PID 1 loads
	RosBinary    = "/usr/bin/ros"               // setuid root: ros is also sudo
	TrustDir     = "/etc/ros/trust"             // the public keys (*.pub) the OS trusts for its upgrades
	CertsDir     = "/etc/docker/certs.d"        // registries' CAs and client certificates, HOST[:PORT]/ca.crt, for ros and both daemons
	// BootEFI is systemd-boot in the root filesystem: the installer copies
	// it from the slot it wrote to the ESP.
	BootEFI = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"
)

// ServiceImageRepo is the repository prefix of the system service images:
// the image build tags them ros/NAME:TAG, PID 1 runs them by that name.
const ServiceImageRepo = "ros/"

// ImageRefName is the annotation that names each image of ImagesDir and
// UserImages by its whole reference (REPO:TAG), as containerd names them.
const ImageRefName = "io.containerd.image.name"

// The live medium (mkimage iso): an ISO9660 filesystem with this volume
// ID holding the slot image and the OS image it came from; a kernel
// command line with LiveArg boots it live, the medium mounted at
// LiveMedium from the initramfs on, STATE a tmpfs.
const (
	LiveArg    = "ros.live"
	LiveVolume = "ROS_LIVE"
	LiveRootfs = "ros/rootfs.img" // on the medium: the squashfs and its dm-verity tree, as a slot holds them
	LiveImage  = "ros/oci"        // on the medium: OCI layout of the signed OS image, tagged with its version
	// LiveCloudConfig is on the medium (mkimage iso --cloud-config), named by ros.cloud_config.
	LiveCloudConfig = "ros/cloud-config.yml"
	LiveMedium      = "/run/ros/medium"
)

// Paths in the initramfs.
const (
	Sysroot          = "/sysroot"                   // where the root slot is mounted before the switch
	InitramfsModules = "/etc/ros/initramfs-modules" // modules the initramfs loads, one a line
)

// WatchdogFD is the descriptor at which the initramfs hands the armed
// hardware watchdog to PID 1 across exec.
const WatchdogFD = 100

// The default user and the group that reaches both Docker sockets.
const (
	DefaultUser = "rancher"
	DefaultUID  = 1100
	DefaultGID  = DefaultUID // the user's own group
	DefaultHome = "/home/" + DefaultUser
	DockerGID   = 233
)
