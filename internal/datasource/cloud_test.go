package datasource

import "testing"

func TestMetadataCloud(t *testing.T) {
	tests := []struct {
		name string
		dmi  map[string]string
		want string
	}{
		{"EC2 Nitro", map[string]string{"sys_vendor": "Amazon EC2", "product_name": "t3.micro"}, "EC2"},
		{"EC2 Xen", map[string]string{"sys_vendor": "Xen", "bios_version": "4.11.amazon"}, "EC2"},
		{"OpenStack Nova", map[string]string{"sys_vendor": "OpenStack Foundation", "product_name": "OpenStack Nova"}, "OpenStack"},
		{"QEMU", map[string]string{"sys_vendor": "QEMU", "product_name": "Standard PC (Q35 + ICH9, 2009)"}, ""},
		{"no DMI", map[string]string{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MetadataCloud(func(f string) string { return tt.dmi[f] }); got != tt.want {
				t.Errorf("MetadataCloud() = %q; want %q", got, tt.want)
			}
		})
	}
}
