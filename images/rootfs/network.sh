#!/bin/sh
# The ros network service: DHCP on the first ethernet interface, configured by
# udhcpc.script. A machine without one is not an error: wait for one.
while :; do
	for dev in /sys/class/net/*; do
		name=${dev##*/}
		[ -e "$dev/device" ] || continue # virtual: lo, docker0, veth...
		echo "network: DHCP on $name"
		exec udhcpc -f -i "$name" -s /usr/share/ros/udhcpc.script
	done
	echo "network: no network interface yet"
	sleep 10
done
