#!/usr/bin/env bash
# Prepares the VM test rig: installs the host packages the rig needs, fetches
# and unpacks a stock Debian kernel (never installed), and builds a busybox
# initramfs holding the kernel modules cvfs needs (device-mapper, dm-crypt,
# dm-integrity, loop, NVMe, 9p, filesystems, crypto, AF_ALG).
#
# Usage: prepare.sh CACHE_DIR
#
# Everything lands in CACHE_DIR; work whose outputs exist for the current
# kernel version is skipped, so a second run is fast. run.sh boots from:
#   CACHE_DIR/vmlinuz  CACHE_DIR/initramfs.cpio.gz  CACHE_DIR/kernel-version
set -euo pipefail

RIG_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly RIG_DIR
readonly HOST_PACKAGES=(qemu-system-x86 busybox-static cpio kmod swtpm swtpm-tools
  cryptsetup-bin e2fsprogs xfsprogs dosfstools util-linux fdisk)
# Modules the guest loads, in this order after their dependencies from
# modules.dep (crc32c first: libcrc32c needs the algorithm, not a symbol).
readonly GUEST_MODULES=(crc32c_generic crc32c_intel virtio_pci virtio_blk 9pnet_virtio 9p nvme
  loop dm_mod dm_crypt dm_integrity libcrc32c ext4 vfat nls_cp437 nls_ascii nls_utf8 xfs xts ecb aesni_intel gcm authenc
  essiv seqiv ghash_clmulni_intel sha256_ssse3 af_alg algif_skcipher algif_aead algif_hash)

log() { printf 'prepare: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

install_missing_packages() {
  local apt_log=$1 missing=() package installed
  installed=" $(dpkg-query -W -f='${Package}:${Status} ' "${HOST_PACKAGES[@]}" 2>/dev/null || true)"
  for package in "${HOST_PACKAGES[@]}"; do
    [[ $installed == *" $package:install ok installed "* ]] || missing+=("$package")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  log "installing ${missing[*]} (log: $apt_log)"
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -q -y -o DPkg::Lock::Timeout=600)
  if ! { "${apt[@]}" install --no-install-recommends "${missing[@]}" ||
    { "${apt[@]}" update && "${apt[@]}" install --no-install-recommends "${missing[@]}"; }; } >"$apt_log" 2>&1; then
    tail -n 20 "$apt_log" >&2
    die "apt-get could not install ${missing[*]}"
  fi
}

# Prints the version of the kernel linux-image-amd64 currently points to,
# e.g. 6.1.0-26-amd64; the cached answer while the package lists are older.
current_kernel_version() {
  local known="$1/kernel-version" package
  if [[ -s $known ]] && [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -newer "$known") ]]; then
    cat "$known"
    return 0
  fi
  package=$(apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: linux-image-\(6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n1)
  if [[ -z $package ]]; then
    apt-get -q -o DPkg::Lock::Timeout=600 update >&2
    package=$(apt-cache depends linux-image-amd64 |
      sed -n 's/^ *Depends: linux-image-\(6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n1)
  fi
  [[ -n $package ]] || die "apt-cache depends linux-image-amd64 names no linux-image-6.1.0-N-amd64"
  printf '%s\n' "$package"
}

# Downloads and unpacks the kernel package into CACHE/kernel-KVER/root.
fetch_kernel() {
  local cache=$1 kver=$2 root="$1/kernel-$2/root"
  if [[ -f $root/boot/vmlinuz-$kver && -f $root/lib/modules/$kver/modules.dep ]]; then
    return 0
  fi
  log "downloading linux-image-$kver"
  rm -rf "$cache/kernel-$kver"
  mkdir -p "$cache/kernel-$kver/root"
  (cd "$cache/kernel-$kver" && apt-get -q -o APT::Sandbox::User=root download "linux-image-$kver" >&2)
  dpkg -x "$cache/kernel-$kver/linux-image-${kver}"_*.deb "$root"
  rm -f "$cache/kernel-$kver"/*.deb
  depmod -b "$root" "$kver"
}

# Prints the path (relative to the modules folder) of one module, or nothing
# when it is built into the kernel.
module_path() {
  local moddir=$1 name=${2//-/_}
  local pattern="(^|/)${name//_/[-_]}\\.ko(\\.xz|\\.zst|\\.gz)?$"
  if grep -Eq "$pattern" "$moddir/modules.builtin"; then return 0; fi
  local path
  path=$(cut -d: -f1 "$moddir/modules.dep" | grep -E "$pattern" | head -n1)
  [[ -n $path ]] || die "module $name is neither built in nor in modules.dep"
  printf '%s\n' "$path"
}

# Prints module paths so that every module comes after its dependencies.
module_load_order() {
  local moddir=$1; shift
  local -A seen=()
  local name path
  visit() {
    local module=$1 dep deps=()
    [[ -n ${seen[$module]:-} ]] && return 0
    seen[$module]=1
    read -ra deps <<<"$(grep -E "^${module//./\\.}:" "$moddir/modules.dep" | cut -d: -f2)"
    for dep in "${deps[@]}"; do
      visit "$dep"
    done
    printf '%s\n' "$module"
  }
  for name in "$@"; do
    path=$(module_path "$moddir" "$name")
    [[ -n $path ]] && visit "$path"
  done
}

# Copies the modules (decompressed) and busybox into a tree and packs it.
build_initramfs() {
  local cache=$1 kver=$2
  local moddir="$cache/kernel-$kver/root/lib/modules/$kver"
  local tree="$cache/initramfs-tree" order
  rm -rf "$tree"
  mkdir -p "$tree"/{bin,dev,proc,sys,host,lib/modules}
  cp /bin/busybox "$tree/bin/busybox"
  cp "$RIG_DIR/guest-init.sh" "$tree/init"
  chmod 0755 "$tree/init"
  order=$(module_load_order "$moddir" "${GUEST_MODULES[@]}")
  local module base
  : >"$tree/modules.order"
  while read -r module; do
    base=$(basename "$module")
    case $base in
      *.xz) xz -dc "$moddir/$module" >"$tree/lib/modules/${base%.xz}"; base=${base%.xz} ;;
      *.zst) zstd -qdc "$moddir/$module" >"$tree/lib/modules/${base%.zst}"; base=${base%.zst} ;;
      *) cp "$moddir/$module" "$tree/lib/modules/$base" ;;
    esac
    printf '%s\n' "$base" >>"$tree/modules.order"
  done <<<"$order"
  log "initramfs: $(wc -l <"$tree/modules.order") modules"
  (cd "$tree" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$cache/initramfs.cpio.gz.new"
  mv "$cache/initramfs.cpio.gz.new" "$cache/initramfs.cpio.gz"
  rm -rf "$tree"
}

# The stamp names what the initramfs was built from; a change rebuilds it.
initramfs_stamp() {
  local kver=$1
  printf '%s\n' "$kver" "${GUEST_MODULES[*]}"
  sha256sum "$RIG_DIR/guest-init.sh" /bin/busybox | cut -d' ' -f1
}

main() {
  [[ $# -eq 1 ]] || { echo "usage: $0 CACHE_DIR" >&2; exit 2; }
  [[ $(id -u) -eq 0 ]] || die "must run as root (apt-get, depmod)"
  local cache=$1
  mkdir -p "$cache"
  cache=$(cd "$cache" && pwd)
  install_missing_packages "$cache/apt.log"
  local kver
  kver=$(current_kernel_version "$cache")
  fetch_kernel "$cache" "$kver"
  find "$cache" -maxdepth 1 -name 'kernel-*' -type d ! -name "kernel-$kver" -exec rm -rf {} +
  cp "$cache/kernel-$kver/root/boot/vmlinuz-$kver" "$cache/vmlinuz"
  local stamp
  stamp=$(initramfs_stamp "$kver")
  if [[ ! -f $cache/initramfs.cpio.gz || $(cat "$cache/initramfs.stamp" 2>/dev/null) != "$stamp" ]]; then
    build_initramfs "$cache" "$kver"
    printf '%s\n' "$stamp" >"$cache/initramfs.stamp"
  fi
  printf '%s\n' "$kver" >"$cache/kernel-version"
  log "ready: kernel $kver in $cache"
}

main "$@"
