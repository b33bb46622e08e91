#!/usr/bin/env bash
# Boots a ros disk image in QEMU (TCG) through OVMF and systemd-boot, with the
# serial console on this terminal. Ctrl-a x quits. The disk is used in place:
# what you do in the VM stays on it. sshd is forwarded to localhost:$SSH_PORT
# (default 2222): ssh -p 2222 rancher@localhost, with a key from the
# cloud-config.
#
# A guest reboot (or a panic's, or the watchdog's reset after a stall)
# restarts QEMU on the same disk and EFI variables: a cold reboot, since a
# warm reset of this q35 guest under TCG can hang. A power-off or Ctrl-a x
# ends the script. One TCG thread for both
# vCPUs: with one thread each, the guest kernel can oops on a static key
# patch (see internal/qemu).
set -euo pipefail
disk=${1:-build/disk.img}
port=${SSH_PORT:-2222}
vars=$(mktemp --suffix=-ovmf-vars.fd)
log=$(mktemp --suffix=-console.log)
trap 'rm -f "$vars" "$log"' EXIT
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$vars"
while :; do
  : > "$log"
  rc=0
  qemu-system-x86_64 -machine q35 -accel tcg,thread=single -smp 2 -m 2048 -display none -no-reboot -device i6300esb \
    -chardev stdio,id=console,mux=on,signal=off,logfile="$log" \
    -serial chardev:console -mon chardev=console \
    -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
    -drive if=pflash,format=raw,unit=1,file="$vars" \
    -drive file="$disk",if=virtio,format=raw \
    -nic user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:"$port"-:22 || rc=$?
  # A power-off, a halt, Ctrl-a x or a QEMU error ends the script; any other
  # exit is a reset (-no-reboot): a reboot, the reboot after a panic, or the
  # hardware watchdog's after a stall. A real machine comes back from those.
  grep -qE 'reboot: Power down|reboot: System halted|QEMU: Terminated' "$log" && break
  [ "$rc" -eq 0 ] || break
  if grep -qE 'reboot: Restarting system|Rebooting in [0-9]+ seconds' "$log"; then
    echo "run-qemu: the guest rebooted; starting it again" >&2
  else
    echo "run-qemu: the machine reset without a kernel message (the watchdog?); starting it again" >&2
  fi
done
