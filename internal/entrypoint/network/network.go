// Package network is the entrypoint of the network system service: it
// configures the interfaces and DNS of ros.network and runs the DHCP clients.
package network

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/ros-os/ros/internal/config"
	"github.com/ros-os/ros/internal/contract"
	"github.com/ros-os/ros/internal/procsys"
)

// netPlan is what the network service does: commands run once, DHCP
// clients kept running, and resolv.conf when DNS is set.
type netPlan struct {
	setup  [][]string
	dhcp   []string // interfaces
	resolv string   // "" leaves resolv.conf to DHCP
}

// planNetwork turns ros.network into a plan; with no interfaces configured
// the first of nics (the machine's ethernet interfaces) gets DHCP.
func planNetwork(n config.Network, nics []string) netPlan {
	var p netPlan
	names := make([]string, 0, len(n.Interfaces))
	for name := range n.Interfaces {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p.addInterface(name, n.Interfaces[name])
	}
	if len(n.Interfaces) == 0 && len(nics) > 0 {
		p.dhcp = append(p.dhcp, nics[0])
	}
	p.resolv = resolvConf(n.DNS)
	return p
}

func (p *netPlan) addInterface(name string, i config.Interface) {
	p.setup = append(p.setup, []string{"ip", "link", "set", name, "up"})
	if i.DHCP {
		p.dhcp = append(p.dhcp, name)
		return
	}
	p.setup = append(p.setup, []string{"ip", "addr", "replace", i.Address, "dev", name})
	if i.Gateway != "" {
		p.setup = append(p.setup, []string{"ip", "route", "replace", "default", "via", i.Gateway, "dev", name})
	}
}

func resolvConf(d config.DNS) string {
	if len(d.Nameservers) == 0 && len(d.Search) == 0 {
		return ""
	}
	var sb strings.Builder
	if len(d.Search) > 0 {
		sb.WriteString("search " + strings.Join(d.Search, " ") + "\n")
	}
	for _, ns := range d.Nameservers {
		sb.WriteString("nameserver " + ns + "\n")
	}
	return sb.String()
}

// Run carries out the plan of ros.network and runs until a DHCP client ends (the
// service then restarts), or forever when there is none.
func Run(ctx context.Context, n config.Network) error {
	nics := waitNICs(n)
	p := planNetwork(n, nics)
	for _, argv := range p.setup {
		if out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput(); err != nil {
			fmt.Printf("network: %s: %v: %s\n", strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
		}
	}
	if p.resolv != "" {
		// In place: containers bind-mount this file.
		if err := os.WriteFile(contract.Resolv, []byte(p.resolv), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", contract.Resolv, err)
		}
		fmt.Printf("network: DNS from the cloud-config: %s\n", strings.Join(n.DNS.Nameservers, " "))
	}
	if len(p.dhcp) == 0 {
		fmt.Println("network: configured; no DHCP")
		<-ctx.Done()
		return nil
	}
	return runDHCP(ctx, p.dhcp, p.resolv != "")
}

// runDHCP runs one udhcpc per interface and returns when the first ends.
func runDHCP(ctx context.Context, ifaces []string, staticDNS bool) error {
	errc := make(chan error, len(ifaces))
	for _, name := range ifaces {
		fmt.Printf("network: DHCP on %s\n", name)
		cmd := exec.CommandContext(ctx, "udhcpc", "-f", "-i", name, "-s", contract.UdhcpcScript)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if staticDNS {
			cmd.Env = append(os.Environ(), "ROS_DNS_STATIC=1")
		}
		go func() { errc <- cmd.Run() }()
	}
	if err := <-errc; err != nil {
		return fmt.Errorf("DHCP client: %w", err)
	}
	return fmt.Errorf("DHCP client ended")
}

// waitNICs returns the machine's ethernet interfaces, waiting for one when
// the config names none and there is none yet (a NIC may come late).
func waitNICs(n config.Network) []string {
	for {
		nics := procsys.Host.Ethernet()
		if len(nics) > 0 || len(n.Interfaces) > 0 {
			return nics
		}
		fmt.Println("network: no network interface yet")
		time.Sleep(10 * time.Second)
	}
}
