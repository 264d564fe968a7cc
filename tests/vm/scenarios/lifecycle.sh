#!/usr/bin/env bash
# The volume lifecycle on a real kernel, for several combinations in one
# boot: init, open, mount, write, close, reopen, check the data (a persistent
# volume keeps it; a temporary one comes back empty and freshly made), close.
# Each CASE is PROVIDER:FS:INTEGRITY[:DEVICE], e.g. passphrase:ext4:hmac-sha256
# or otp:xfs:none:nvme; PROVIDER is otp, passphrase or keyfile, INTEGRITY none,
# hmac-sha256 or aead, DEVICE file (a block file on a loop device, the
# default) or nvme (a GPT partition made for the case on /dev/nvme0n1, which
# run.sh --nvme attaches, named by PARTLABEL). Every mount point has a blank
# in its name, and [mount] options that mount(8) keeps in userspace (nofail,
# x-systemd.*) beside noatime, which mountinfo must show. Needs root and
# device-mapper (run in the VM rig).
#
# Usage: scenarios/lifecycle.sh BUILD_DIR CASE...
set -Eeuo pipefail

[[ $# -ge 2 ]] || { echo "usage: $0 BUILD_DIR CASE..." >&2; exit 2; }
build_dir=$(realpath "$1"); shift
readonly root=/tmp/cvfs-lifecycle
readonly confdir=$root/conf
readonly nvme_disk=/dev/nvme0n1
cvfs_bin=$build_dir/bin/cvfs

trap 'echo "lifecycle: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cvfs() { printf '$ cvfs %s\n' "$*"; "$cvfs_bin" -c "$confdir" "$@"; }

setup() {
  rm -rf "$root"
  mkdir -p "$confdir/volumes" "$root/run"
  printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" \
    >"$confdir/cvfs.toml"
  if [[ " $* " == *:nvme\ * ]]; then
    [[ -b $nvme_disk ]] || { echo "lifecycle: nvme cases need $nvme_disk (run.sh --nvme)" >&2; return 1; }
    sgdisk --zap-all "$nvme_disk" >/dev/null
  fi
}

# Adds a GPT partition of SIZE named LABEL to the NVMe disk; prints its dev.
add_nvme_partition() {
  local label=$1 size=$2 number
  # Runs in a subshell ($(...)): the kernel's partitions are the count.
  number=$(($(find "/sys/class/block/${nvme_disk#/dev/}/" -maxdepth 1 -name "${nvme_disk#/dev/}p*" | wc -l) + 1))
  sgdisk -n "$number:0:+$size" -c "$number:$label" "$nvme_disk" >/dev/null
  local node=${nvme_disk}p$number tries=50
  until [[ -b $node ]]; do ((--tries > 0)) || return 1; sleep 0.1; done
  wipefs -a -q "$node"  # the disk image may hold an earlier run's volumes
  echo "PARTLABEL=$label"
}

# Writes the volume file of one case; prints the volume name.
write_volume() {
  local provider=$1 fs=$2 integrity=$3 device=$4
  local name="v-$provider-$fs-$integrity" size=160M dev
  [[ $fs == xfs ]] && size=384M  # mkfs.xfs wants at least 300 MB
  if [[ $device == nvme ]]; then
    name+=-nvme
    dev=$(add_nvme_partition "$name" "$size")
  else
    dev=$root/$name.img
  fi
  {
    printf 'volume = "%s"\ndev = "%s"\nmakefs = "%s"\nintegrity = "%s"\n' \
      "$name" "$dev" "$fs" "$integrity"
    case $provider in
      otp) printf '\n[encrypt.otp]\n' ;;
      keyfile)  # init makes the key
        printf '\n[encrypt.keyfile]\nkey_file = "%s/%s.key"\n' "$root" "$name" ;;
      passphrase)
        (umask 077 && head -c 32 /dev/urandom | base64 >"$root/$name.key")
        printf '\n[encrypt.passphrase]\nkey_file = "%s/%s.key"\n' "$root" "$name" ;;
      *) echo "unknown provider $provider" >&2; return 1 ;;
    esac
    [[ $device == nvme ]] || printf '\n[device]\nsize = "%s"\n' "$size"
    [[ $fs == swap ]] ||
      printf '\n[mount]\npoint = "%s/mnt/%s point"\noptions = "%s"\n' "$root" "$name" \
        "nofail,x-systemd.device-timeout=5s,noatime"
  } >"$confdir/volumes/$name.toml"
  echo "$name"
}

# The kernel got noatime (mountinfo's per-mount options; blanks are \040 there).
check_noatime() {
  local point=$1 options
  options=$(POINT=${point// /\\040} awk '$5 == ENVIRON["POINT"] { print $6 }' /proc/self/mountinfo)
  [[ ,$options, == *,noatime,* ]] || { echo "$point is mounted with '$options', not noatime" >&2; return 1; }
}

check_swap() {
  local name=$1
  blkid -p -o value -s TYPE "/dev/mapper/$name" | grep -qx swap
}

# After close nothing may hold the device: no loop device, no mapping.
check_released() {
  local name=$1 device=$2
  if [[ $device == nvme ]]; then
    local node
    node=$("$cvfs_bin" -c "$confdir" show --json "$name" | sed -n 's/.*"node" *: *"\/dev\/\([^"]*\)".*/\1/p')
    [[ -n $node && -z $(ls "/sys/class/block/$node/holders") ]] ||
      { echo "$name: the partition ($node) is still held" >&2; return 1; }
  else
    [[ -z $(losetup -j "$root/$name.img" -n) ]] || { echo "loop device left attached" >&2; return 1; }
  fi
}

run_case() {
  local provider fs integrity device name point
  IFS=: read -r provider fs integrity device <<<"$1"
  device=${device:-file}
  name=$(write_volume "$provider" "$fs" "$integrity" "$device")
  point="$root/mnt/$name point"
  echo "== $name"
  local start=$SECONDS
  [[ $provider == otp ]] || cvfs init --yes "$name"
  cvfs open "$name"
  cvfs show "$name"
  if [[ $fs == swap ]]; then
    check_swap "$name"
  else
    findmnt -no FSTYPE "$point" | grep -qx "$fs"
    check_noatime "$point"
    echo "data of $name" >"$point/file.txt"
  fi
  cvfs close "$name"
  [[ ! -e /dev/mapper/$name ]]
  cvfs open "$name"
  if [[ $fs == swap ]]; then
    check_swap "$name"
  elif [[ $provider == otp ]]; then
    [[ ! -e $point/file.txt ]] || { echo "a temporary volume kept its data" >&2; return 1; }
  else
    [[ $(cat "$point/file.txt") == "data of $name" ]]
  fi
  cvfs open "$name"   # open is idempotent
  cvfs close "$name"
  cvfs close "$name"  # and so is close
  check_released "$name" "$device"
  # The guest's /tmp is memory: a block file written whole (integrity) would
  # leave the next cases short of room.
  rm -f "$root/$name.img" "$root/$name.key"
  echo "== $name passed in $((SECONDS - start)) s"
}

setup "$@"
for case in "$@"; do run_case "$case"; done
rm -rf "$root"
echo "lifecycle: all ${#@} cases passed"
