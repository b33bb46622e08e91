package rosinit

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ros-os/ros/internal/rospath"
)

// Milestone is a named point of the boot and the uptime it was reached at.
type Milestone struct {
	Name   string  `json:"name"`
	Uptime float64 `json:"uptime"`
}

// uptime reads the first field of /proc/uptime.
func uptime() float64 {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// mark records a milestone in the milestones file and on the console.
func (st *state) mark(name string) {
	m := Milestone{name, uptime()}
	st.milestones = append(st.milestones, m)
	st.log.Printf("milestone %s at %.2f s", name, m.Uptime)
	f, err := os.OpenFile(rospath.Milestones, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
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
