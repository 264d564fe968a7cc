#!/usr/bin/env bash
# A temporary (OTP) volume with integrity is not wiped as a whole at open,
# yet nothing the filesystem reads fails its integrity check. For each CASE
# (FS:INTEGRITY:SIZE, e.g. ext4:aead:64G) on a sparse block file: open,
# write files, drop the caches, read them back, mount again and read them
# again, require that the kernel logged no integrity error and
# that most of the block file was never written. The block files live on
# SCRATCH_DISK (an empty disk of run.sh --disk, made ext4 here): cvfs wants
# room for a whole sparse file, which the guest's memory /tmp lacks at 64 GiB.
# Needs root and device-mapper.
#
# Usage: scenarios/otp_integrity.sh BUILD_DIR SCRATCH_DISK CASE...
set -Eeuo pipefail

[[ $# -ge 3 ]] || { echo "usage: $0 BUILD_DIR SCRATCH_DISK CASE..." >&2; exit 2; }
build_dir=$(realpath "$1") scratch_disk=$2; shift 2
readonly root=/tmp/cvfs-otp-integrity
readonly confdir=$root/conf
cvfs_bin=$build_dir/bin/cvfs

trap 'echo "otp_integrity: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cvfs() { printf '$ cvfs %s\n' "$*"; "$cvfs_bin" -c "$confdir" "$@"; }

setup() {
  [[ -b $scratch_disk && -z $(blkid -p "$scratch_disk" || true) ]] ||
    { echo "otp_integrity: $scratch_disk is not an empty disk (run.sh --disk)" >&2; return 1; }
  rm -rf "$root"
  mkdir -p "$root"
  mkfs.ext4 -q -m 0 -O ^has_journal -E lazy_itable_init=1,nodiscard "$scratch_disk"
  mount -o noinit_itable "$scratch_disk" "$root"
  mkdir -p "$confdir/volumes" "$root/run"
  printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" \
    >"$confdir/cvfs.toml"
}

write_volume() {
  local name=$1 fs=$2 integrity=$3 size=$4
  {
    printf 'volume = "%s"\ndev = "%s/%s.img"\nmakefs = "%s"\nintegrity = "%s"\n' \
      "$name" "$root" "$name" "$fs" "$integrity"
    printf '\n[encrypt.otp]\n\n[device]\nsize = "%s"\n' "$size"
    [[ $fs == swap ]] || printf '\n[mount]\npoint = "%s/mnt/%s"\n' "$root" "$name"
  } >"$confdir/volumes/$name.toml"
}

# Kernel messages of dm-integrity and dm-crypt's AEAD check since the mark.
integrity_errors() {
  dmesg | sed -n "/cvfs-mark-$1/,\$p" | grep -Ei 'integrity|checksum|AEAD|I/O error' || true
}

# Mounts the volume again (the kernel reads the log and metadata afresh),
# checks the files and unmounts. The offline checkers are not a measure here:
# they read more than the kernel does (e2fsck reads blocks around the resize
# inode that nothing wrote, xfs_repair whole allocation-group headers beyond
# their written sector); only fsck.vfat reads no more than its filesystem.
recheck_volume() {
  local fs=$1 dev=$2 point=$3
  umount "$point"
  mount -t "$fs" "$dev" "$point"
  (cd "$point" && sha256sum -c --quiet "$root/sums")
  umount "$point"
  [[ $fs != vfat ]] || fsck.vfat -n "$dev"
}

write_and_check() {
  local point=$1
  for i in 1 2; do head -c 4M /dev/urandom >"$point/file$i"; done
  mkdir -p "$point/dir" && for i in $(seq 1 100); do echo "$i" >"$point/dir/small$i"; done
  (cd "$point" && sha256sum file? dir/small* >"$root/sums")
  sync
  echo 3 >/proc/sys/vm/drop_caches
  (cd "$point" && sha256sum -c --quiet "$root/sums")
}

check_swap() {
  local dev=$1
  swapon "$dev"
  # Pages pushed out to this swap area are read back when touched again.
  swapoff "$dev"
}

run_case() {
  local fs integrity size name point mark
  IFS=: read -r fs integrity size <<<"$1"
  name="t-$fs-$integrity-$size" point=$root/mnt/$name mark=$RANDOM$RANDOM
  echo "== $name"
  write_volume "$name" "$fs" "$integrity" "$size"
  echo "cvfs-mark-$mark" >/dev/kmsg
  cvfs open "$name"
  local dev=/dev/mapper/$name
  if [[ $fs == swap ]]; then
    check_swap "$dev"
  else
    write_and_check "$point"
    recheck_volume "$fs" "$dev" "$point"
  fi
  cvfs close "$name"
  local allocated
  allocated=$(du -k "$root/$name.img" | cut -f1)
  echo "$name: $((allocated / 1024)) MiB of the block file written"
  # Not wiped as a whole: most of a sparse file stays unallocated.
  local size_kib
  size_kib=$(($(numfmt --from=iec "$size") / 1024))
  if ((allocated > size_kib / 4)); then
    echo "$name: $allocated KiB of $size_kib KiB written: the device was wiped" >&2
    return 1
  fi
  local errors
  errors=$(integrity_errors "$mark")
  if [[ -n $errors ]]; then
    echo "$name: the kernel reported integrity errors:" >&2
    printf "%s\n" "$errors" | sed "s/^/  kernel: /" >&2
    return 1
  fi
  rm -f "$root/$name.img"
  echo "== $name passed"
}

setup
for case in "$@"; do run_case "$case"; done
umount "$root"
rm -rf "$root"
echo "otp_integrity: all $# cases passed"
