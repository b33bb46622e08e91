package builder

import "testing"

// TestUsersFiles keeps the generated files byte for byte what the image
// held when they were written by hand, so the image stays the same.
func TestUsersFiles(t *testing.T) {
	for _, tc := range []struct{ name, got, want string }{
		{"passwd", Passwd, "root:x:0:0:root:/root:/bin/sh\n" +
			"rancher:x:1100:1100:rancher:/home/rancher:/bin/sh\n" +
			"ntpd:x:102:102:OpenNTPD privsep:/var/run/openntpd:/bin/false\n" +
			"sshd:x:103:65534:sshd privsep:/run/sshd:/bin/false\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
		{"group", Group, "root:x:0:\ntty:x:5:rancher\nntpd:x:102:\ndocker:x:233:rancher\nrancher:x:1100:\nnogroup:x:65534:\n"},
		{"shadow", Shadow, "root:!:1::::::\nrancher:*:1::::::\nntpd:!:1::::::\nsshd:!:1::::::\nnobody:!:1::::::\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("/etc/%s =\n%s\nwant\n%s", tc.name, tc.got, tc.want)
			}
		})
	}
}
