#!/usr/bin/env bash
# Boots a ros disk image in QEMU (TCG) through OVMF and systemd-boot, with the
# serial console on this terminal. Ctrl-a x quits. The disk is used in place:
# what you do in the VM stays on it.
set -euo pipefail
disk=${1:-build/disk.img}
vars=$(mktemp --suffix=-ovmf-vars.fd)
trap 'rm -f "$vars"' EXIT
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$vars"
qemu-system-x86_64 -machine q35 -smp 2 -m 2048 -nographic -device i6300esb \
  -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
  -drive if=pflash,format=raw,unit=1,file="$vars" \
  -drive file="$disk",if=virtio,format=raw \
  -nic user,model=virtio-net-pci
