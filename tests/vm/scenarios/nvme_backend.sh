#!/usr/bin/env bash
# The nvme device backend on an emulated NVMe disk (/dev/nvme0n1, attached by
# run.sh --nvme), GPT-partitioned here as in the cloud guide: an OTP
# partition and a persistent one, plus partitions to misuse. Proves, in one
# boot and without udev: every name form (node, PARTUUID=, PARTLABEL=,
# by-partuuid, by-partlabel, by-id) reaches the same partition; `show` tells
# model, serial, namespace, partition and size; both lifecycles; and each
# refusal (mounted, swap, another mapping, open in a process, system disk,
# signature, too small, whole namespace, not a block device, missing) with
# its message; and that a late partition is waited for.
#
# Usage: scenarios/nvme_backend.sh BUILD_DIR
set -Eeuo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build_dir=$(realpath "$1")
readonly root=/tmp/cvfs-nvme
readonly confdir=$root/conf
readonly disk=/dev/nvme0n1
readonly data_guid=5b1f0a6e-8f2c-4d3b-9a41-0c2d3e4f5a02
cvfs_bin=$build_dir/bin/cvfs

trap 'echo "nvme_backend: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
step() { printf '\n== [%d s] %s\n' "$SECONDS" "$*"; }
cvfs() { printf '$ cvfs %s\n' "$*"; "$cvfs_bin" -c "$confdir" "$@"; }

# Runs cvfs expecting a failure whose output contains TEXT.
expect_refusal() {
  local text=$1 output status=0
  shift
  printf '$ cvfs %s   (must fail: %s)\n' "$*" "$text"
  output=$("$cvfs_bin" -c "$confdir" "$@" 2>&1) || status=$?
  printf '%s\n' "$output" | sed 's/^/  | /'
  [[ $status -ne 0 ]] || { echo "expected a failure, got success" >&2; return 1; }
  grep -qF -- "$text" <<<"$output" || { echo "expected the message to contain: $text" >&2; return 1; }
}

# volume NAME DEV PROVIDER [DEVICE-TABLE-LINES...]: writes a volume file;
# PROVIDER is otp, otp+integrity (hmac-sha256) or passphrase.
volume() {
  local name=$1 dev=$2 provider=$3
  shift 3
  {
    printf 'volume = "%s"\ndev = "%s"\nmakefs = "ext4"\n' "$name" "$dev"
    if [[ $provider == otp* ]]; then
      [[ $provider == otp+integrity ]] && printf 'integrity = "hmac-sha256"\n'
      printf '\n[encrypt.otp]\n'
    else
      [[ -f $root/$name.key ]] || (umask 077 && head -c 32 /dev/urandom | base64 >"$root/$name.key")
      printf '\n[encrypt.passphrase]\nkey_file = "%s/%s.key"\n' "$root" "$name"
    fi
    if [[ $# -gt 0 ]]; then printf '\n[device]\n'; printf '%s\n' "$@"; fi
    printf '\n[mount]\npoint = "%s/mnt/%s"\n' "$root" "$name"
  } >"$confdir/volumes/$name.toml"
}

reread() { blockdev --rereadpt "$disk"; }

setup() {
  step "a GPT on $disk: otp, data, busy, tiny, boot, late"
  rm -rf "$root"
  mkdir -p "$confdir/volumes" "$root/run"
  printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" \
    >"$confdir/cvfs.toml"
  sgdisk --zap-all "$disk" >/dev/null
  sgdisk -n 1:0:+48M -c 1:otp -n 2:0:+100M -c 2:data -u "2:$data_guid" -n 3:0:+40M -c 3:busy \
    -n 4:0:+8M -c 4:tiny -n 5:0:+40M -c 5:boot -n 6:0:+40M -c 6:late "$disk" >/dev/null
  reread
  wipefs -a -q "$disk"p?  # the disk image may hold an earlier run's volumes
  lsblk -o NAME,SIZE,PARTLABEL,PARTUUID "$disk" || true
  [[ ! -e /dev/disk/by-partuuid ]] || echo "(note: udev links exist here)"
}

check_show() {
  step "show: model, serial, namespace, partition, size"
  volume otp0 PARTLABEL=otp otp+integrity
  local json
  json=$(cvfs show --json otp0)
  printf '%s\n' "$json"
  for text in '"node": "/dev/nvme0n1p1"' 'partition 1 \"otp\"' 'NVMe namespace 1 nvme0n1' \
    'QEMU NVMe Ctrl' 'serial cvfs-nvme0' '48 MiB' '"state": "ready"'; do
    grep -qF -- "$text" <<<"$json" || { echo "show lacks: $text" >&2; return 1; }
  done
  volume gone0 PARTLABEL=nowhere otp 'wait = 0'
  json=$(cvfs show --json gone0)
  grep -qF '"state": "missing device"' <<<"$json" || { echo "a missing device is not shown missing" >&2; return 1; }
}

lifecycle_otp() {
  step "OTP volume on PARTLABEL=otp: fresh and empty at each open"
  local point=$root/mnt/otp0
  cvfs open otp0
  findmnt -no SOURCE "$point" | grep -qx /dev/mapper/otp0
  echo scratch >"$point/file"
  cvfs open otp0  # idempotent: its own mapping holds the partition
  cvfs close otp0
  cvfs open otp0
  [[ ! -e $point/file ]] || { echo "the OTP volume kept data" >&2; return 1; }
  cvfs close otp0
}

# The node `cvfs show` finds for volume NAME.
node_of() { "$cvfs_bin" -c "$confdir" show --json "$1" | sed -n 's/.*"node" *: *"\([^"]*\)".*/\1/p'; }

lifecycle_persistent() {
  step "persistent volume: init by PARTUUID=, every other name finds it, reopened by by-id"
  local point=$root/mnt/data0 dev
  volume data0 "PARTUUID=$data_guid" passphrase
  cvfs init --yes data0
  cvfs open data0
  echo kept >"$point/file"
  cvfs open data0  # idempotent: its own mapping holds the partition
  cvfs close data0
  for dev in /dev/nvme0n1p2 PARTLABEL=data "/dev/disk/by-partuuid/${data_guid^^}" \
    /dev/disk/by-partlabel/data /dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_cvfs-nvme0-part2 \
    /dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_cvfs-nvme0_1-part2; do
    volume data0 "$dev" passphrase
    echo "dev = $dev -> $(node_of data0)"
    [[ $(node_of data0) == /dev/nvme0n1p2 ]]
  done
  cvfs open data0
  [[ $(cat "$point/file") == kept ]]
  cvfs close data0
  expect_refusal "add --force" init --yes data0
}

refusals() {
  local part=/dev/nvme0n1p3
  volume busy0 PARTLABEL=busy passphrase

  step "refused: a partition with a filesystem (init without --force)"
  mkfs.ext4 -q "$part"
  expect_refusal "PARTLABEL=busy (/dev/nvme0n1p3) holds data: libblkid finds ext4 filesystem" init --yes busy0

  step "refused: a mounted partition"
  mkdir -p "$root/busy"
  mount "$part" "$root/busy"
  expect_refusal "is mounted at $root/busy" init --yes --force busy0
  expect_refusal "is mounted at $root/busy" open busy0
  umount "$root/busy"

  step "refused: a partition in use as swap"
  mkswap -q "$part" && swapon "$part"
  expect_refusal "in use as swap" init --yes --force busy0
  swapoff "$part"

  step "refused: a partition another mapping holds"
  dmsetup create cvfs-other --table "0 $(blockdev --getsz "$part") linear $part 0"
  expect_refusal '("cvfs-other")' init --yes --force busy0
  dmsetup remove cvfs-other

  step "refused: a partition open in another process"
  sleep 600 <"$part" &
  local holder=$!
  expect_refusal "open in process $holder (sleep)" init --yes --force busy0
  kill "$holder"; wait "$holder" 2>/dev/null || true

  step "refused: a partition of the disk holding /boot"
  mkfs.ext4 -q /dev/nvme0n1p5
  mount /dev/nvme0n1p5 /boot
  expect_refusal "the system disk (it holds /boot)" init --yes --force busy0
  umount /boot

  step "refused: a partition below the LUKS2 minimum"
  volume tiny0 PARTLABEL=tiny passphrase
  expect_refusal "at least 17 MiB" init --yes tiny0

  step "refused: a whole namespace, unless accept = \"namespace\"; then its GPT"
  volume whole0 "$disk" passphrase
  expect_refusal "whole NVMe namespace" init --yes whole0
  volume whole0 "$disk" passphrase 'accept = "namespace"'
  expect_refusal "/dev/nvme0n1 holds data: libblkid finds gpt partition table" init --yes whole0

  step "refused: not a block device"
  volume null0 /dev/null passphrase
  expect_refusal "not a block device: it is a character device" init --yes null0

  step "refused: a device that does not come"
  volume gone0 PARTLABEL=nowhere passphrase 'wait = 2'
  expect_refusal "no device is PARTLABEL=nowhere after waiting 2 s" init --yes gone0

}

late_partition() {
  step "a partition that appears late is waited for"
  sgdisk -d 6 "$disk" >/dev/null && reread
  [[ ! -e /dev/nvme0n1p6 ]] || { echo "partition 6 is still there" >&2; return 1; }
  volume late0 PARTLABEL=late otp 'wait = "60s"'
  # sgdisk tells the kernel itself; the partition may be in use right after.
  (sleep 3 && sgdisk -n 6:0:+40M -c 6:late "$disk" >/dev/null) &
  local maker=$!
  cvfs -v open late0 2>&1 | tee "$root/late.log"
  wait "$maker"
  grep -q "waiting up to 60 s for PARTLABEL=late" "$root/late.log" ||
    { echo "open did not wait for the partition" >&2; return 1; }
  grep -q "PARTLABEL=late is /dev/nvme0n1p6" "$root/late.log"
  cvfs close late0
}

setup
check_show
lifecycle_otp
lifecycle_persistent
refusals
late_partition
rm -rf "$root"
echo "nvme_backend: all passed"
