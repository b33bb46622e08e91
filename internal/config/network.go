package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// interfaceName is a kernel network interface name (IFNAMSIZ is 16).
var interfaceName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,15}$`)

func checkInterfaces(ck *checker, c Config) {
	ifs := c.Ros.Network.Interfaces
	for _, name := range sortedKeys(ifs) {
		at := keyPath{"ros", "network", "interfaces", name}
		if !interfaceName.MatchString(name) || name == "." || name == ".." {
			ck.errorf(at, "ros.network.interfaces: %q is not an interface name: at most 15 letters, digits, '_', '.' and '-', e.g. eth0", name)
			continue
		}
		if field, msg := interfaceProblem(ifs[name]); msg != "" {
			if field != "" {
				at = at.at(field)
			}
			ck.errorf(at, "ros.network.interfaces.%s: %s", name, msg)
		}
	}
}

// interfaceProblem says what is wrong with i and in which field, or "".
func interfaceProblem(i Interface) (field, msg string) {
	switch {
	case i.DHCP && i.Address != "":
		return "address", "both dhcp and address are set: use dhcp: true or a static address, not both"
	case !i.DHCP && i.Address == "":
		return "", "give dhcp: true or a static address (CIDR, e.g. address: 10.0.2.15/24)"
	case i.DHCP && i.Gateway != "":
		return "gateway", "a gateway needs a static address: with dhcp the gateway comes from DHCP"
	case i.DHCP:
		return "", ""
	}
	addr, err := netip.ParsePrefix(i.Address)
	if err != nil {
		return "address", fmt.Sprintf("address %q is not CIDR: want ADDRESS/PREFIX, e.g. 10.0.2.15/24", i.Address)
	}
	if i.Gateway == "" {
		return "", ""
	}
	gw, err := netip.ParseAddr(i.Gateway)
	if err != nil {
		return "gateway", fmt.Sprintf("gateway %q is not an IP address, e.g. 10.0.2.2", i.Gateway)
	}
	if gw.Is4() != addr.Addr().Is4() {
		return "gateway", fmt.Sprintf("gateway %s and address %s are not both IPv4 or both IPv6", i.Gateway, i.Address)
	}
	return "", ""
}

func checkDNS(ck *checker, c Config) {
	dns := c.Ros.Network.DNS
	for i, ns := range dns.Nameservers {
		if _, err := netip.ParseAddr(ns); err != nil {
			ck.errorf(keyPath{"ros", "network", "dns", "nameservers", idx(i)},
				"ros.network.dns.nameservers[%d]: %q is not an IP address, e.g. 1.1.1.1", i, ns)
		}
	}
	for i, s := range dns.Search {
		if msg := hostnameProblem(strings.TrimSuffix(s, ".")); s == "" || msg != "" {
			if s == "" {
				msg = "empty"
			}
			ck.errorf(keyPath{"ros", "network", "dns", "search", idx(i)},
				"ros.network.dns.search[%d]: %q is not a domain name: %s", i, s, msg)
		}
	}
}
