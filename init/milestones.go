package rosinit

import (
	"bufio"
	"fmt"
	"os"

	"github.com/ros-os/ros/internal/bootlog"
)

// Milestone is a named point of the boot and the uptime it was reached at.
type Milestone = bootlog.Milestone

// mark records a milestone in the milestones file and on the console.
func (st *state) mark(name string) {
	m := Milestone{Name: name, Uptime: st.opts.proc.Uptime()}
	st.milestones = append(st.milestones, m)
	st.log.Printf("milestone %s at %.2f s", name, m.Uptime)
	f, err := os.OpenFile(st.opts.Milestones, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s %.2f\n", m.Name, m.Uptime)
}

// readMilestones reads what the earlier stages recorded ("name uptime" lines).
func readMilestones(path string) []Milestone {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var ms []Milestone
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m Milestone
		if _, err := fmt.Sscanf(sc.Text(), "%s %g", &m.Name, &m.Uptime); err == nil {
			ms = append(ms, m)
		}
	}
	return ms
}
