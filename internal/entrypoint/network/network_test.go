package network

import (
	"reflect"
	"testing"

	"github.com/ros-os/ros/internal/config"
)

func TestPlanNetwork(t *testing.T) {
	tests := []struct {
		name string
		net  config.Network
		nics []string
		want netPlan
	}{
		{"nothing configured: DHCP on the first NIC", config.Network{}, []string{"eth0", "eth1"},
			netPlan{dhcp: []string{"eth0"}}},
		{"nothing configured, no NIC", config.Network{}, nil, netPlan{}},
		{"static address, gateway and DNS", config.Network{
			Interfaces: map[string]config.Interface{"eth0": {Address: "10.0.0.5/24", Gateway: "10.0.0.1"}},
			DNS:        config.DNS{Nameservers: []string{"1.1.1.1", "9.9.9.9"}, Search: []string{"lan"}},
		}, []string{"eth0"}, netPlan{
			setup: [][]string{
				{"ip", "link", "set", "eth0", "up"},
				{"ip", "addr", "replace", "10.0.0.5/24", "dev", "eth0"},
				{"ip", "route", "replace", "default", "via", "10.0.0.1", "dev", "eth0"},
			},
			resolv: "search lan\nnameserver 1.1.1.1\nnameserver 9.9.9.9\n",
		}},
		{"DHCP on a named interface only", config.Network{
			Interfaces: map[string]config.Interface{"eth1": {DHCP: true}},
		}, []string{"eth0", "eth1"}, netPlan{
			setup: [][]string{{"ip", "link", "set", "eth1", "up"}},
			dhcp:  []string{"eth1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := planNetwork(tt.net, tt.nics); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("planNetwork =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}
