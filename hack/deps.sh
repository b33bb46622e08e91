#!/usr/bin/env bash
# Installs what building and testing ros needs on Debian 12: host tools from
# Debian's archive and the Go modules. Idempotent and quiet when all is there.
# The OS image's packages do not come from the host's apt: the image builder
# keeps its own sources and lists for the image's suite (build/cache/apt/SUITE)
# and runs apt-get update there itself, so the host's lists are only fetched
# here to install missing host tools.
set -euo pipefail

pkgs=(qemu-system-x86 ovmf squashfs-tools dosfstools mtools e2fsprogs gdisk
      cpio zstd kmod docker-registry util-linux xz-utils genisoimage
      openssh-client systemd tar debian-archive-keyring xorriso qemu-utils socat)
# A command (or file) each package provides, to skip apt when all are present.
checks=(qemu-system-x86_64 /usr/share/OVMF/OVMF_CODE_4M.fd mksquashfs mkfs.vfat mcopy
        e2fsck sgdisk cpio zstd depmod docker-registry losetup xz genisoimage
        ssh-keygen systemd-analyze tar /usr/share/keyrings/debian-archive-keyring.gpg xorriso qemu-img socat)

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
go mod download
