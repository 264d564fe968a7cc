#!/usr/bin/env bash
# The Intel confidential-computing-zoo "encrypted VFS" scripts, done with cvfs
# as a user of those scripts would: create_encrypted_vfs.sh (a block file on
# a loop device, LUKS with aes-xts-plain64 and a 512-bit key, a passphrase
# typed twice, ext4), mount_encrypted_vfs.sh (the passphrase typed again,
# mounted at the storage folder), unmount_encrypted_vfs.sh (unmount, close).
# The passphrase is typed on a real pseudo-terminal (script(1)), never given
# in argv or a file. A wrong passphrase is refused and leaves nothing open.
# Needs root and device-mapper (run in the VM rig).
#
# Usage: scenarios/seed_intel_vfs.sh BUILD_DIR
set -Eeuo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build_dir=$(realpath "$1")
readonly root=/tmp/cvfs-intel-vfs
readonly confdir=$root/conf
readonly storage=$root/home/encrypted_storage
cvfs_bin=$build_dir/bin/cvfs

trap 'echo "seed_intel_vfs: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
fail() { echo "seed_intel_vfs: $*" >&2; return 1; }

# Runs `cvfs ARGS` on a new pseudo-terminal and types each line of TYPED.
on_terminal() {
  local typed=$1; shift
  printf '$ cvfs %s   (typing on the terminal)\n' "$*"
  local command
  command=$(printf '%q ' "$cvfs_bin" -c "$confdir" "$@")
  # script(1) copies its stdin to the terminal; the pause lets the prompt
  # turn echo off first, as a person would wait for it.
  { sleep 2; printf '%s' "$typed"; sleep 5; } | script -qefc "$command" /dev/null
}

setup() {
  rm -rf "$root"
  mkdir -p "$confdir/volumes" "$root/run" "$storage"
  printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" \
    >"$confdir/cvfs.toml"
  # The scripts' choices: a block file, aes-xts-plain64 with a 512-bit key
  # (the cvfs default, written out here), ext4, the storage mount point. The
  # file is smaller than the scripts' 1 GiB: cvfs wants room for all of a
  # sparse file, and the guest's /tmp (memory) has just under 1 GiB.
  cat >"$confdir/volumes/vfs.toml" <<EOF
volume = "vfs"
dev = "$root/vfs"
makefs = "ext4"

[encrypt.passphrase]
prompt = true

[device]
size = "512M"

[luks]
cipher = "aes-xts-plain64"
key_size = 512

[mount]
point = "$storage"
EOF
}

setup
echo "== create_encrypted_vfs.sh: the block file, LUKS, the passphrase twice, ext4"
on_terminal $'correct horse battery\ncorrect horse battery\n' init --yes vfs
[[ $(cryptsetup luksDump "$root/vfs" | awk '/cipher:/ {print $2; exit}') == aes-xts-plain64 ]]
cryptsetup luksDump "$root/vfs" | grep -q 'PBKDF:.*argon2id' || fail "a typed passphrase must get argon2id"

echo "== mount_encrypted_vfs.sh: the passphrase, then mounted at the storage folder"
on_terminal $'correct horse battery\n' open vfs
findmnt -no FSTYPE "$storage" | grep -qx ext4
echo "confidential" >"$storage/report.txt"

echo "== unmount_encrypted_vfs.sh: unmount and close"
"$cvfs_bin" -c "$confdir" close vfs
! findmnt "$storage" >/dev/null || fail "still mounted"
[[ ! -e /dev/mapper/vfs ]] || fail "still mapped"

echo "== a wrong passphrase is refused and leaves nothing open"
if on_terminal $'wrong horse\n' open vfs; then fail "a wrong passphrase opened the volume"; fi
[[ ! -e /dev/mapper/vfs ]] || fail "mapped after a wrong passphrase"
[[ -z $(losetup -j "$root/vfs" -n) ]] || fail "a loop device is left"

echo "== mount again: the data is there"
on_terminal $'correct horse battery\n' open vfs
[[ $(cat "$storage/report.txt") == confidential ]] || fail "the data is lost"
"$cvfs_bin" -c "$confdir" close vfs
rm -rf "$root"
echo "seed_intel_vfs: passed"
