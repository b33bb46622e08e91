//go:build e2e

package test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// What of moby's check-config.sh output must report nothing missing: all of
// "Generally Necessary", the IPVS lines of "Optional Features" (the swarm's
// routing mesh) and these entries of its "Network Drivers". The script of
// Docker 26 lists bridge under "Generally Necessary" (CONFIG_BRIDGE, ...),
// not as a network driver; an entry for it counts if a later script has one.
var (
	checkedDrivers  = map[string]bool{"bridge": true, "overlay": true, "ipvlan": true, "macvlan": true}
	requiredDrivers = []string{"overlay", "ipvlan", "macvlan"}
	requiredFlags   = []string{"CONFIG_BRIDGE", "CONFIG_BRIDGE_NETFILTER", "CONFIG_VETH", "CONFIG_NETFILTER_XT_MATCH_IPVS",
		"CONFIG_IP_VS", "CONFIG_IP_VS_NFCT", "CONFIG_IP_VS_PROTO_TCP", "CONFIG_IP_VS_PROTO_UDP", "CONFIG_IP_VS_RR"}
)

var (
	configSection = regexp.MustCompile(`^([A-Z][A-Za-z ]+):$`)   // Generally Necessary:
	configGroup   = regexp.MustCompile(`^- ([A-Z][A-Za-z ]+):$`) // - Network Drivers:
	configEntry   = regexp.MustCompile(`^  - "([^"]+)":$`)       //   - "overlay":
	configFlag    = regexp.MustCompile(`(CONFIG_[A-Z0-9_]+):`)
	configBad     = regexp.MustCompile(`\b(missing|nonexistent)\b`)
)

// checkConfigProblems returns a line for each thing check-config.sh's
// output says is missing where it must not be, and for each part of that
// output it lacks, so that a changed script cannot pass unread.
func checkConfigProblems(out string) []string {
	var problems []string
	section, group, entry := "", "", ""
	drivers, flags := map[string]bool{}, map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r ")
		if m := configSection.FindStringSubmatch(line); m != nil {
			section, group, entry = m[1], "", ""
			continue
		}
		if m := configGroup.FindStringSubmatch(line); m != nil {
			group, entry = m[1], ""
			continue
		}
		if m := configEntry.FindStringSubmatch(line); m != nil {
			entry = m[1]
			if group == "Network Drivers" {
				drivers[entry] = true
			}
			continue
		}
		flag := ""
		if m := configFlag.FindStringSubmatch(line); m != nil {
			flag = m[1]
		}
		var where string
		switch {
		case section == "Generally Necessary":
			where = section
		case section == "Optional Features" && group == "" && strings.HasPrefix(flag, "CONFIG_IP_VS"):
			where = section + ", IPVS"
		case group == "Network Drivers" && checkedDrivers[entry]:
			where = group + ", " + entry
		default:
			continue
		}
		if flag != "" {
			flags[flag] = true
		}
		if configBad.MatchString(line) {
			problems = append(problems, strings.TrimSpace(line)+" ("+where+")")
		}
	}
	for _, d := range requiredDrivers {
		if !drivers[d] {
			problems = append(problems, `no entry for the network driver "`+d+`"`)
		}
	}
	for _, f := range requiredFlags {
		if !flags[f] {
			problems = append(problems, "no line for "+f)
		}
	}
	return problems
}

// The parser reads the output of Debian 13's check-config.sh (Docker 26.1)
// for Debian's 6.12 kernel config: nothing missing where it counts (the
// missing CONFIG_MEMCG_SWAP and zfs lines do not), and each missing line
// where it counts is named.
func TestCheckConfigProblems(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "check-config", "debian13.txt"))
	if err != nil {
		t.Fatal(err)
	}
	good := string(b)
	if got := checkConfigProblems(good); len(got) > 0 {
		t.Errorf("problems in the good output:\n%s", strings.Join(got, "\n"))
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"generally necessary", "- CONFIG_VETH: enabled (as module)", "- CONFIG_VETH: missing",
			"- CONFIG_VETH: missing (Generally Necessary)"},
		{"cgroup controller", "  - pids: available", "  - pids: missing", "- pids: missing (Generally Necessary)"},
		{"ipvs", "- CONFIG_IP_VS_RR: enabled (as module)", "- CONFIG_IP_VS_RR: missing",
			"- CONFIG_IP_VS_RR: missing (Optional Features, IPVS)"},
		{"overlay", "    - CONFIG_VXLAN: enabled (as module)", "    - CONFIG_VXLAN: missing",
			"- CONFIG_VXLAN: missing (Network Drivers, overlay)"},
		{"encrypted overlay", "      - CONFIG_INET_ESP: enabled (as module)", "      - CONFIG_INET_ESP: missing",
			"- CONFIG_INET_ESP: missing (Network Drivers, overlay)"},
		{"macvlan", "    - CONFIG_DUMMY: enabled (as module)", "    - CONFIG_DUMMY: missing",
			"- CONFIG_DUMMY: missing (Network Drivers, macvlan)"},
		{"no ipvlan entry", "  - \"ipvlan\":\n    - CONFIG_IPVLAN: enabled (as module)\n", "", `no entry for the network driver "ipvlan"`},
		{"no IPVS line", "- CONFIG_IP_VS_NFCT: enabled\n", "", "no line for CONFIG_IP_VS_NFCT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(good, tc.from, tc.to, 1)
			if bad == good {
				t.Fatalf("%q is not in the good output", tc.from)
			}
			if got := strings.Join(checkConfigProblems(bad), "\n"); got != tc.want {
				t.Errorf("problems:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
	// A script that printed nothing, say because it failed at once.
	if got := checkConfigProblems("error: cannot find kernel config\n"); len(got) != len(requiredDrivers)+len(requiredFlags) {
		t.Errorf("problems of an empty output:\n%s", strings.Join(got, "\n"))
	}
}
