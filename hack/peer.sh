#!/usr/bin/env bash
# Builds the boot benchmark's peer (issue 16): a stock Debian 13 with systemd
# and docker.io, installed the ordinary way with debootstrap, into OUT
# (default build/peer): vmlinuz and Debian's initrd.img (initramfs-tools), and
# root.img, an ext4 root filesystem. It boots with
#   -kernel vmlinuz -initrd initrd.img -append "root=/dev/vda ro quiet console=ttyS0"
# on a virtio disk and a virtio NIC (systemd-networkd, DHCP), root logged in
# on ttyS0. busybox:latest is imported into its Docker by one boot at build
# time, as ros preloads it, so `docker run --rm busybox true` needs no
# registry. Packages: what `apt install docker.io` brings on a minimal
# system (its recommends docker-cli, apparmor and ca-certificates; not git,
# needrestart, xz-utils or dbus-user-session, which a boot never runs). Cached: nothing is done when OUT is complete. Debootstrap keeps
# its own package cache under OUT; the host's apt configuration is not used
# or changed (the mirror is read from it).
set -euo pipefail
out=${1:-build/peer}
suite=trixie
if [[ -f $out/root.img && -f $out/vmlinuz && -f $out/initrd.img ]]; then exit 0; fi
if ! command -v debootstrap >/dev/null; then
  echo "hack/peer.sh: installing debootstrap" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
fi
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
mkdir -p "$out/cache"
root=$out/_root.tmp # "_": not a Go package dir for ./... (debootstrap mounts /proc in it)
rm -rf "$root" "$out/root.img"
echo "hack/peer.sh: debootstrap $suite from $mirror into $root" >&2
debootstrap --variant=minbase --cache-dir="$(realpath "$out/cache")" \
  --include=systemd,systemd-sysv,udev,dbus,kmod,iproute2,procps,linux-image-amd64,initramfs-tools,docker.io,docker-cli,apparmor,ca-certificates,busybox-static \
  "$suite" "$root" "$mirror" >"$out/debootstrap.log" 2>&1 ||
  { tail -20 "$out/debootstrap.log" >&2; echo "hack/peer.sh: debootstrap failed (log: $out/debootstrap.log)" >&2; exit 1; }

echo peer >"$root/etc/hostname"
echo "/dev/vda / ext4 defaults 0 1" >"$root/etc/fstab"
cat >"$root/etc/systemd/network/50-dhcp.network" <<'EOF'
[Match]
Name=en* eth*
[Network]
DHCP=yes
EOF
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf /lib/systemd/system/systemd-networkd.service "$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
mkdir -p "$root/etc/systemd/system/serial-getty@ttyS0.service.d"
cat >"$root/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --noclear %I 115200 linux
EOF
# One boot at build time: busybox:latest into Docker, then power off.
cat >"$root/etc/systemd/system/peer-prepare.service" <<'EOF'
[Unit]
Description=Import busybox:latest into Docker, once
After=docker.service
Requires=docker.service
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'set -e; d=$(mktemp -d); mkdir $d/bin; cp /bin/busybox $d/bin/; chroot $d /bin/busybox --install -s /bin; tar -C $d -c . | docker import - busybox:latest; rm -rf $d; systemctl disable peer-prepare.service; echo peer-prepared >/dev/ttyS0'
ExecStartPost=/bin/systemctl poweroff
[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/peer-prepare.service "$root/etc/systemd/system/multi-user.target.wants/peer-prepare.service"
rm -rf "$root/var/cache/apt/archives/"*.deb
kernel=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -1)
cp "$kernel" "$out/vmlinuz.tmp"
cp "$root/boot/initrd.img-${kernel##*/vmlinuz-}" "$out/initrd.img.tmp"
mkfs.ext4 -q -L peer-root -d "$root" "$out/root.img.tmp" 4G
rm -rf "$root"

echo "hack/peer.sh: preparing the peer (one boot under QEMU)" >&2
timeout 15m qemu-system-x86_64 -machine q35 -accel tcg,thread=single -m 2048 -smp 2 -display none -monitor none \
  -serial file:"$out/prepare.log" -no-reboot -nic user,model=virtio-net-pci \
  -drive file="$out/root.img.tmp",if=virtio,format=raw \
  -kernel "$out/vmlinuz.tmp" -initrd "$out/initrd.img.tmp" -append "root=/dev/vda ro quiet console=ttyS0" ||
  { echo "hack/peer.sh: the preparing boot failed or timed out (console: $out/prepare.log)" >&2; exit 1; }
grep -q peer-prepared "$out/prepare.log" ||
  { echo "hack/peer.sh: the preparing boot did not import busybox (console: $out/prepare.log)" >&2; exit 1; }
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
mv "$out/initrd.img.tmp" "$out/initrd.img"
mv "$out/root.img.tmp" "$out/root.img"
echo "hack/peer.sh: peer ready in $out" >&2
