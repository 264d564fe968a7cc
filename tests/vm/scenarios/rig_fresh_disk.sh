#!/usr/bin/env bash
# A scenario for testing the VM rig itself (tests/vm/rig_fresh_disks.sh runs
# it several times in one build tree): it partitions the NVMe disk run.sh
# attached, inits a persistent volume on it, opens, writes, closes. On a disk
# an earlier run left behind, init refuses ("holds an initialised cvfs
# volume"), so a second pass proves each run got a fresh disk. It also
# proves the guest has /dev/fd and /dev/std{in,out,err} (bash process
# substitution). With --hold it stops after init and waits, so the test can
# kill run.sh while a guest and its disk are in use.
#
# Usage: scenarios/rig_fresh_disk.sh BUILD_DIR [--hold]
set -Eeuo pipefail

[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 BUILD_DIR [--hold]" >&2; exit 2; }
build_dir=$(realpath "$1")
hold=0
[[ ${2:-} == --hold ]] && hold=1
readonly root=/tmp/cvfs-rig
readonly confdir=$root/conf
readonly disk=/dev/nvme0n1
cvfs_bin=$build_dir/bin/cvfs

trap 'echo "rig_fresh_disk: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cvfs() { printf '$ cvfs %s\n' "$*"; "$cvfs_bin" -c "$confdir" "$@"; }
fail() { echo "rig_fresh_disk: $*" >&2; return 1; }

check_dev_fd() {
  echo "== /dev/fd and /dev/std{in,out,err}"
  local link
  for link in fd stdin stdout stderr; do
    [[ -e /dev/$link ]] || fail "the guest has no /dev/$link"
  done
  local line=""
  read -r line < <(echo "through a process substitution")
  [[ $line == "through a process substitution" ]] || fail "process substitution read '$line'"
  diff <(printf 'a\nb\n') <(printf 'a\nb\n')
  echo "to /dev/stdout" >/dev/stdout
}

setup() {
  rm -rf "$root"
  mkdir -p "$confdir/volumes" "$root/run" "$root/mnt"
  printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" \
    >"$confdir/cvfs.toml"
  printf 'volume = "rig"\ndev = "%sp1"\nmakefs = "ext4"\n' "$disk" >"$confdir/volumes/rig.toml"
  printf '\n[encrypt.keyfile]\nkey_file = "%s/rig.key"\n' "$root" >>"$confdir/volumes/rig.toml"
  printf '\n[mount]\npoint = "%s/mnt/rig"\n' "$root" >>"$confdir/volumes/rig.toml"
}

# As the cloud guide does: a new GPT over whatever the disk holds.
partition_disk() {
  echo "== the disk at start: $(blkid -p -o value -s PTTYPE "$disk" || echo "no partition table")"
  sgdisk --zap-all "$disk" >/dev/null
  sgdisk -n 1:0:+200M -c 1:rig "$disk" >/dev/null
  partx -u "$disk" 2>/dev/null || blockdev --rereadpt "$disk"
  for _ in $(seq 50); do [[ -b ${disk}p1 ]] && break; sleep 0.1; done
  [[ -b ${disk}p1 ]] || fail "the partition did not appear"
}

check_dev_fd
setup
partition_disk
cvfs init --yes rig
if ((hold)); then
  echo "rig_fresh_disk: holding"
  sleep 3600
fi
cvfs open rig
echo "written by this run" >"$root/mnt/rig/file.txt"
cvfs close rig
[[ ! -e /dev/mapper/rig ]] || fail "the mapping is left"
rm -rf "$root"
echo "rig_fresh_disk: passed"
