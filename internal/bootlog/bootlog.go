// Package bootlog is the boot's timeline: the steps PID 1 ran with when
// each started and ended, and the milestones it reached, as uptimes. PID 1
// writes it into /run/ros/boot.json; ros boot-log prints it.
package bootlog

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
)

// Milestone is a named point of the boot and the uptime it was reached at.
type Milestone struct {
	Name   string  `json:"name"`
	Uptime float64 `json:"uptime"`
}

// Step is one boot step of PID 1, from its start to its end (uptimes, s).
// Err is why it failed, if it did; a step that never ended has End 0.
type Step struct {
	Name  string  `json:"name"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	Err   string  `json:"error,omitempty"`
}

// Timeline is the part of boot.json ros boot-log reads.
type Timeline struct {
	Version    string      `json:"version"`
	Slot       string      `json:"slot"`
	Steps      []Step      `json:"steps"`
	Milestones []Milestone `json:"milestones"`
}

// Read reads the timeline from a boot.json file.
func Read(path string) (Timeline, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Timeline{}, fmt.Errorf("reading the boot log: %w: it is written once the boot is over", err)
	}
	var t Timeline
	if err := json.Unmarshal(b, &t); err != nil {
		return Timeline{}, fmt.Errorf("reading the boot log %s: %w", path, err)
	}
	return t, nil
}

// barWidth is the width of the bars Write draws for the longest boot.
const barWidth = 40

// Write prints the timeline: the steps and milestones in the order of
// their uptimes, each step with its duration and a bar placing it in the
// boot, so the step a regression slowed down stands out.
func Write(w io.Writer, t Timeline) error {
	type row struct {
		at         float64
		start, end float64
		text       string
		step       bool
	}
	var rows []row
	last := 0.0
	for _, s := range t.Steps {
		end := s.End
		if end == 0 {
			end = s.Start
		}
		last = max(last, end)
		text := fmt.Sprintf("%-34s %6.2f s", s.Name, end-s.Start)
		if s.End == 0 {
			text = fmt.Sprintf("%-34s %8s", s.Name, "not done")
		}
		if s.Err != "" {
			text += "  FAILED: " + s.Err
		}
		rows = append(rows, row{s.Start, s.Start, end, text, true})
	}
	for _, m := range t.Milestones {
		last = max(last, m.Uptime)
		rows = append(rows, row{m.Uptime, m.Uptime, m.Uptime, "milestone " + m.Name, false})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].at < rows[j].at })
	if _, err := fmt.Fprintf(w, "boot of ros %s on slot %s (uptimes in seconds)\n", t.Version, t.Slot); err != nil {
		return err
	}
	for _, r := range rows {
		line := fmt.Sprintf("%7.2f  %-48s", r.at, r.text)
		if r.step {
			line += " " + bar(r.start, r.end, last)
		}
		if _, err := fmt.Fprintln(w, strings.TrimRight(line, " ")); err != nil {
			return err
		}
	}
	return nil
}

// bar draws [start, end] of a boot that lasted until last.
func bar(start, end, last float64) string {
	if last <= 0 {
		return ""
	}
	from := int(math.Round(start / last * barWidth))
	to := max(int(math.Round(end/last*barWidth)), from+1)
	return strings.Repeat(" ", from) + strings.Repeat("#", to-from)
}
