#!/usr/bin/env bash
# The volume lifecycle on a real kernel, for several combinations in one
# boot: init, open, mount, write, close, reopen, check the data (a persistent
# volume keeps it; a temporary one comes back empty and freshly made), close.
# Each CASE is PROVIDER:FS:INTEGRITY, e.g. passphrase:ext4:hmac-sha256 or
# otp:xfs:none; PROVIDER is otp or passphrase, INTEGRITY none, hmac-sha256
# or aead. Needs root and device-mapper (run in the VM rig).
#
# Usage: scenarios/lifecycle.sh BUILD_DIR CASE...
set -Eeuo pipefail

[[ $# -ge 2 ]] || { echo "usage: $0 BUILD_DIR CASE..." >&2; exit 2; }
build_dir=$(realpath "$1"); shift
readonly root=/tmp/cvfs-lifecycle
readonly confdir=$root/conf
cvfs_bin=$build_dir/cli/cvfs

trap 'echo "lifecycle: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cvfs() { printf '$ cvfs %s\n' "$*"; "$cvfs_bin" -c "$confdir" "$@"; }

setup() {
  rm -rf "$root"
  mkdir -p "$confdir/volumes" "$root/run"
  printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" \
    >"$confdir/cvfs.toml"
}

# Writes the volume file of one case; prints the volume name.
write_volume() {
  local provider=$1 fs=$2 integrity=$3
  local name="v-$provider-$fs-$integrity" size=160M
  [[ $fs == xfs ]] && size=384M  # mkfs.xfs wants at least 300 MB
  {
    printf 'volume = "%s"\ndev = "%s/%s.img"\nmakefs = "%s"\nintegrity = "%s"\n' \
      "$name" "$root" "$name" "$fs" "$integrity"
    if [[ $provider == otp ]]; then
      printf '\n[encrypt.otp]\n'
    else
      (umask 077 && head -c 32 /dev/urandom | base64 >"$root/$name.key")
      printf '\n[encrypt.passphrase]\nkey_file = "%s/%s.key"\n' "$root" "$name"
    fi
    printf '\n[device]\nsize = "%s"\n' "$size"
    [[ $fs == swap ]] || printf '\n[mount]\npoint = "%s/mnt/%s"\n' "$root" "$name"
  } >"$confdir/volumes/$name.toml"
  echo "$name"
}

check_swap() {
  local name=$1
  blkid -p -o value -s TYPE "/dev/mapper/$name" | grep -qx swap
}

run_case() {
  local provider fs integrity name point
  IFS=: read -r provider fs integrity <<<"$1"
  name=$(write_volume "$provider" "$fs" "$integrity")
  point=$root/mnt/$name
  echo "== $name"
  local start=$SECONDS
  [[ $provider == otp ]] || cvfs init --yes "$name"
  cvfs open "$name"
  cvfs show "$name"
  if [[ $fs == swap ]]; then
    check_swap "$name"
  else
    findmnt -no FSTYPE "$point" | grep -qx "$fs"
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
  [[ -z $(losetup -j "$root/$name.img" -n) ]] || { echo "loop device left attached" >&2; return 1; }
  echo "== $name passed in $((SECONDS - start)) s"
}

setup
for case in "$@"; do run_case "$case"; done
rm -rf "$root"
echo "lifecycle: all ${#@} cases passed"
