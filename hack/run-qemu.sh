#!/usr/bin/env bash
# Boots the built kernel + initramfs in QEMU (TCG) with the serial console on
# this terminal. Ctrl-a x quits.
set -euo pipefail
out=${1:-build/os}
cmdline=${CMDLINE:-"console=ttyS0 panic=10 softlockup_panic=1 ros.slot=a"}
exec qemu-system-x86_64 -machine q35 -smp 2 -m 2048 -nographic -no-reboot \
  -kernel "$out/vmlinuz" -initrd "$out/initrd" -append "$cmdline"
