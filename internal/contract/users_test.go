package contract

import (
	"slices"
	"testing"
)

// TestUsersAndGroups checks what the running system relies on: the default
// user exists with its ids and home, is in the docker group, and every
// name, id and member is sound.
func TestUsersAndGroups(t *testing.T) {
	users, uids := map[string]User{}, map[int]bool{}
	for _, u := range Users {
		if _, dup := users[u.Name]; dup || uids[u.UID] {
			t.Errorf("user %s or uid %d listed twice", u.Name, u.UID)
		}
		users[u.Name], uids[u.UID] = u, true
	}
	groups := map[string]Group{}
	for _, g := range Groups {
		groups[g.Name] = g
		for _, m := range g.Members {
			if _, ok := users[m]; !ok {
				t.Errorf("group %s lists %s, who is no user", g.Name, m)
			}
		}
	}
	if u := users[DefaultUser]; u.UID != DefaultUID || u.GID != DefaultGID || u.Home != DefaultHome {
		t.Errorf("default user = %+v", u)
	}
	if g := groups["docker"]; g.GID != DockerGID || !slices.Contains(g.Members, DefaultUser) {
		t.Errorf("docker group = %+v, want gid %d with %s", g, DockerGID, DefaultUser)
	}
}
