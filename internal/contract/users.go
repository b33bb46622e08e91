package contract

// User is an account of the root filesystem and of the service images:
// a line of /etc/passwd and one of /etc/shadow.
type User struct {
	Name  string
	UID   int
	GID   int // the primary group
	Gecos string
	Home  string
	Shell string
	// Password is the password field of /etc/shadow: "!" locks the
	// account, "*" matches no password but, unlike "!", does not lock it,
	// so sshd lets the cloud-config's keys in.
	Password string
}

// Group is a line of /etc/group.
type Group struct {
	Name    string
	GID     int
	Members []string
}

// Ids of the accounts besides the default user's.
const (
	RootUID   = 0
	TTYGID    = 5
	NtpdUID   = 102 // OpenNTPD's privilege-separation user
	SshdUID   = 103 // sshd's privilege-separation user
	NobodyUID = 65534
)

// Users are the accounts, in /etc/passwd order. No password login for
// anyone until a password is set.
var Users = []User{
	{Name: "root", UID: RootUID, GID: RootUID, Gecos: "root", Home: "/root", Shell: "/bin/sh", Password: "!"},
	{Name: DefaultUser, UID: DefaultUID, GID: DefaultGID, Gecos: DefaultUser, Home: DefaultHome, Shell: "/bin/sh", Password: "*"},
	{Name: "ntpd", UID: NtpdUID, GID: NtpdUID, Gecos: "OpenNTPD privsep", Home: "/var/run/openntpd", Shell: "/bin/false", Password: "!"},
	{Name: "sshd", UID: SshdUID, GID: NobodyUID, Gecos: "sshd privsep", Home: "/run/sshd", Shell: "/bin/false", Password: "!"},
	{Name: "nobody", UID: NobodyUID, GID: NobodyUID, Gecos: "nobody", Home: "/nonexistent", Shell: "/bin/false", Password: "!"},
}

// Groups are the groups, in /etc/group order. The default user is in tty
// (the console) and docker (both Docker sockets).
var Groups = []Group{
	{Name: "root", GID: RootUID},
	{Name: "tty", GID: TTYGID, Members: []string{DefaultUser}},
	{Name: "ntpd", GID: NtpdUID},
	{Name: "docker", GID: DockerGID, Members: []string{DefaultUser}},
	{Name: DefaultUser, GID: DefaultGID},
	{Name: "nogroup", GID: NobodyUID},
}
