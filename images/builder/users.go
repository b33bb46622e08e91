package builder

import (
	"strconv"
	"strings"

	"github.com/ros-os/ros/internal/contract"
)

// The users and groups of the root filesystem and of the service images,
// generated from contract.Users and contract.Groups.
var (
	Passwd = passwdFile(contract.Users)
	Group  = groupFile(contract.Groups)
	Shadow = shadowFile(contract.Users)
)

func passwdFile(users []contract.User) string {
	var sb strings.Builder
	for _, u := range users {
		line := []string{u.Name, "x", strconv.Itoa(u.UID), strconv.Itoa(u.GID), u.Gecos, u.Home, u.Shell}
		sb.WriteString(strings.Join(line, ":") + "\n")
	}
	return sb.String()
}

func groupFile(groups []contract.Group) string {
	var sb strings.Builder
	for _, g := range groups {
		line := []string{g.Name, "x", strconv.Itoa(g.GID), strings.Join(g.Members, ",")}
		sb.WriteString(strings.Join(line, ":") + "\n")
	}
	return sb.String()
}

// shadowFile gives every user a last change on day 1 and no ageing.
func shadowFile(users []contract.User) string {
	var sb strings.Builder
	for _, u := range users {
		sb.WriteString(u.Name + ":" + u.Password + ":1::::::\n")
	}
	return sb.String()
}
