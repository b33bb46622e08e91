package builder

// The users and groups of the root filesystem and of the service images:
// root, the default login "rancher" (uid 1100) with no password, in the
// docker group (gid 233) that owns both Docker sockets, and OpenNTPD's
// privilege-separation user, and sshd's.
const (
	Passwd = "root:x:0:0:root:/root:/bin/sh\n" +
		"rancher:x:1100:1100:rancher:/home/rancher:/bin/sh\n" +
		"ntpd:x:102:102:OpenNTPD privsep:/var/run/openntpd:/bin/false\n" +
		"sshd:x:103:65534:sshd privsep:/run/sshd:/bin/false\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
	Group = "root:x:0:\ntty:x:5:rancher\nntpd:x:102:\ndocker:x:233:rancher\nrancher:x:1100:\nnogroup:x:65534:\n"
	// No password login for anyone until a password is set. rancher's "*"
	// matches no password but, unlike "!", does not lock the account, so
	// sshd lets the cloud-config's keys in.
	Shadow = "root:!:1::::::\nrancher:*:1::::::\nntpd:!:1::::::\nsshd:!:1::::::\nnobody:!:1::::::\n"
)
