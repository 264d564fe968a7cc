#!/usr/bin/env bash
# Proves the VM rig (run inside the guest by run.sh): device-mapper is there,
# a LUKS2 volume on a loop device opens, takes a filesystem and data, and
# closes, with and without dm-integrity; attached NVMe and TPM devices work.
#
# Usage: smoke.sh [--nvme] [--tpm]   (name what run.sh attached)
set -Eeuo pipefail

expect_nvme=0 expect_tpm=0
for arg in "$@"; do
  case $arg in
    --nvme) expect_nvme=1 ;;
    --tpm) expect_tpm=1 ;;
    *) echo "usage: $0 [--nvme] [--tpm]" >&2; exit 2 ;;
  esac
done

scratch=$(mktemp -d /tmp/smoke.XXXXXX)
loop=""

cleanup() {
  mountpoint -q "$scratch/mnt" && umount "$scratch/mnt"
  [[ -e /dev/mapper/smoke ]] && cryptsetup close smoke
  [[ -n $loop ]] && losetup -d "$loop"
  rm -rf "$scratch"
  return 0
}
trap cleanup EXIT
trap 'echo "smoke: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR

step() { printf 'smoke: %s\n' "$*"; }

check_device_mapper() {
  step "dm_mod is loaded"
  grep -q '^dm_mod ' /proc/modules
  step "/dev/mapper/control is a character device"
  [[ -c /dev/mapper/control ]]
  step "udev is bypassed (DM_DISABLE_UDEV=${DM_DISABLE_UDEV:-})"
  [[ ${DM_DISABLE_UDEV:-} == 1 ]]
}

attach_loop() {
  step "a loop device on a 64 MiB file in /tmp"
  truncate -s 64M "$scratch/disk.img"
  loop=$(losetup -f --show "$scratch/disk.img")
  [[ -b $loop ]]
  step "  -> $loop"
}

# Formats the loop device as LUKS2 with the given extra options, opens it,
# makes ext4, writes and reads back a file, and closes it again.
luks_round_trip() {
  local key="$scratch/key"
  head -c 32 /dev/urandom >"$key"
  step "cryptsetup luksFormat --pbkdf pbkdf2 --pbkdf-force-iterations 1000 $*"
  cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
    --pbkdf-force-iterations 1000 --key-file "$key" "$@" "$loop"
  step "cryptsetup open -> /dev/mapper/smoke (no udev)"
  cryptsetup open --key-file "$key" "$loop" smoke
  [[ -b /dev/mapper/smoke ]]
  step "mkfs.ext4 on /dev/mapper/smoke, mount, write, read back"
  if [[ $* == *--integrity-no-wipe* ]]; then
    # Without the integrity wipe, a sector reads as an I/O error until it is
    # written, and mkfs reads back what it did not write: zero it all.
    local mib=$(($(blockdev --getsize64 /dev/mapper/smoke) / 1048576))
    step "  zero the $mib MiB mapping first (unwritten sectors fail integrity checks)"
    dd if=/dev/zero of=/dev/mapper/smoke bs=1M count="$mib" oflag=direct status=none
  fi
  mkfs.ext4 -q /dev/mapper/smoke
  mkdir -p "$scratch/mnt"
  mount /dev/mapper/smoke "$scratch/mnt"
  echo "written in the guest" >"$scratch/mnt/hello.txt"
  sync
  umount "$scratch/mnt"
  mount -o ro /dev/mapper/smoke "$scratch/mnt"
  [[ $(cat "$scratch/mnt/hello.txt") == "written in the guest" ]]
  umount "$scratch/mnt"
  step "cryptsetup close; /dev/mapper/smoke is gone"
  cryptsetup close smoke
  [[ ! -e /dev/mapper/smoke ]]
}

check_nvme() {
  step "an NVMe disk is /dev/nvme0n1"
  [[ -b /dev/nvme0n1 ]]
  step "  $(($(blockdev --getsize64 /dev/nvme0n1) / 1048576)) MiB; partition it with sfdisk"
  echo 'type=linux' | sfdisk --quiet /dev/nvme0n1
  blockdev --rereadpt /dev/nvme0n1
  step "/dev/nvme0n1p1 appears without udev"
  [[ -b /dev/nvme0n1p1 ]]
}

# Sends TPM2_GetRandom(8) to the resource manager and checks the response
# code is TPM_RC_SUCCESS.
check_tpm() {
  step "/dev/tpmrm0 is a character device"
  [[ -c /dev/tpmrm0 ]]
  step "TPM2_GetRandom through /dev/tpmrm0 succeeds"
  local response
  exec 3<>/dev/tpmrm0
  printf '\x80\x01\x00\x00\x00\x0c\x00\x00\x01\x7b\x00\x08' >&3
  response=$(dd bs=4096 count=1 status=none <&3 | od -An -tx1 | tr -d ' \n')
  exec 3>&-
  step "  response $response"
  [[ $response == 80010000001400000000"0008"* ]]
}

check_device_mapper
attach_loop
luks_round_trip
luks_round_trip --integrity hmac-sha256 --integrity-no-wipe
if ((expect_nvme)); then check_nvme; fi
if ((expect_tpm)); then check_tpm; fi
step "all checks passed"
