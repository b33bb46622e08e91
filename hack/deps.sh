#!/usr/bin/env bash
# Installs what building and testing ros needs on Debian 12: host tools from
# Debian's archive and the Go modules. Idempotent and quiet when all is there.
set -euo pipefail

pkgs=(qemu-system-x86 ovmf squashfs-tools dosfstools mtools e2fsprogs gdisk
      cpio zstd kmod docker-registry util-linux xz-utils genisoimage
      openssh-client systemd tar)
# A command (or file) each package provides, to skip apt when all are present.
checks=(qemu-system-x86_64 /usr/share/OVMF/OVMF_CODE_4M.fd mksquashfs mkfs.vfat mcopy
        e2fsck sgdisk cpio zstd depmod docker-registry losetup xz genisoimage
        ssh-keygen systemd-analyze tar)

missing=()
for i in "${!pkgs[@]}"; do
  c=${checks[$i]}
  if [[ $c == /* ]]; then [[ -e $c ]] || missing+=("${pkgs[$i]}")
  else command -v "$c" >/dev/null || missing+=("${pkgs[$i]}"); fi
done
if ((${#missing[@]})); then
  echo "hack/deps.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# apt-get download needs package lists even when nothing was missing.
if ! apt-cache show --no-all-versions docker.io >/dev/null 2>&1; then
  apt-get update -qq
fi
go mod download
