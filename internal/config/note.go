package config

// rebootNote is what applies a change that init makes at boot only.
const rebootNote = "reboot: sudo ros reboot"

// restartNotes say how to apply a change below a key, most specific first;
// a note function gets the resolved key.
var restartNotes = []struct {
	prefix keyPath
	note   func(keyPath) string
}{
	{keyPath{"ros", "services"}, serviceNote},
	{keyPath{"ros", "services_include"}, serviceNote},
	{keyPath{"ros", "docker"}, fixed("run: sudo ros service up docker (restarts User Docker)")},
	{keyPath{"ros", "console"}, fixed("run: sudo ros service up console")},
	{keyPath{"ros", "upgrade"}, fixed("")}, // read by the next ros os upgrade
}

func fixed(note string) func(keyPath) string { return func(keyPath) string { return note } }

// serviceNote is for ros.services.NAME and ros.services_include.NAME.
func serviceNote(p keyPath) string {
	if len(p) < 3 {
		return "run: sudo ros service up NAME for each service changed"
	}
	return "run: sudo ros service up " + p[2]
}

// RestartNote says what to do for a change of key to take effect, e.g.
// "run: sudo ros service up cron"; "" if nothing is needed.
func RestartNote(key string) string {
	p, _, err := resolveKey(key)
	if err != nil {
		return rebootNote
	}
	for _, n := range restartNotes {
		if len(p) >= len(n.prefix) && equal(p[:len(n.prefix)], n.prefix) {
			return n.note(p)
		}
	}
	return rebootNote
}
