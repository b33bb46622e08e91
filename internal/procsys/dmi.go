package procsys

import "strings"

// DMI returns a field of the firmware's DMI table, such as sys_vendor or
// product_name, from /sys/class/dmi/id; "" when the machine has none.
func (f FS) DMI(field string) string {
	b, err := f.read("/sys/class/dmi/id/" + field)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
