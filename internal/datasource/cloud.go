package datasource

import "strings"

// metadataClouds say, by the machine's DMI fields, which clouds serve the
// EC2-style metadata service at MetadataURL: a match on any one of a
// cloud's fields (a substring, without regard to case) is enough.
var metadataClouds = []struct {
	name   string
	fields map[string]string
}{
	{"EC2", map[string]string{"sys_vendor": "Amazon EC2", "bios_version": "amazon"}},
	{"OpenStack", map[string]string{"sys_vendor": "OpenStack", "product_name": "OpenStack"}},
}

// MetadataCloud names the cloud the machine runs on when that cloud serves
// the metadata service, from its DMI fields (dmi reads one); "" elsewhere,
// and then the metadata service is not tried: a machine without one does
// not wait for it.
func MetadataCloud(dmi func(field string) string) string {
	for _, c := range metadataClouds {
		for field, want := range c.fields {
			if v := dmi(field); v != "" && strings.Contains(strings.ToLower(v), strings.ToLower(want)) {
				return c.name
			}
		}
	}
	return ""
}
