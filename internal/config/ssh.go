package config

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// sshKeyTypes are the public key types ros accepts, as OpenSSH names them.
var sshKeyTypes = []string{
	"ssh-ed25519", "ssh-rsa",
	"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
}

func isSSHKeyType(s string) bool { return slices.Contains(sshKeyTypes, s) }

const sshKeyForm = "want the line of a .pub file, TYPE BASE64 [COMMENT], e.g. ssh-ed25519 AAAAC3Nza... me@laptop"

// sshKeyProblem says what makes line not an OpenSSH public key line, or "".
func sshKeyProblem(line string) string {
	f := strings.Fields(line)
	if len(f) < 2 {
		return "not a public key: " + sshKeyForm
	}
	if !isSSHKeyType(f[0]) {
		for _, w := range f[1:] {
			if isSSHKeyType(w) {
				return "options before the key type are not supported: give the key alone, TYPE BASE64 [COMMENT]"
			}
		}
		return fmt.Sprintf("key type %q is not supported: use one of %s", f[0], strings.Join(sshKeyTypes, ", "))
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil {
		return "the key data is not valid base64: copy the whole line of the .pub file"
	}
	return sshBlobProblem(f[0], blob)
}

// sshBlobProblem checks that the key data starts with its type, as a
// string of the SSH wire format: a truncated or mixed-up paste fails here.
func sshBlobProblem(typ string, blob []byte) string {
	if len(blob) < 4 {
		return "the key data is truncated: copy the whole line of the .pub file"
	}
	n := binary.BigEndian.Uint32(blob)
	if uint64(n) > uint64(len(blob)-4) {
		return "the key data is truncated: copy the whole line of the .pub file"
	}
	if got := string(blob[4 : 4+n]); got != typ {
		return fmt.Sprintf("the key data is of type %q, not %q: copy the whole line of the .pub file", got, typ)
	}
	if len(blob) == 4+int(n) {
		return "the key data holds no key: copy the whole line of the .pub file"
	}
	return ""
}

// sshKeyID is what makes two key lines the same key: type and data, not
// the comment.
func sshKeyID(line string) string {
	f := strings.Fields(line)
	if len(f) < 2 {
		return line
	}
	return f[0] + " " + f[1]
}
