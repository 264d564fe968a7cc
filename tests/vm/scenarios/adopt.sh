#!/usr/bin/env bash
# `cvfs adopt` and cryptpilot's volumes on a real kernel, each a case:
#   - intel: a block file made as Intel's create_encrypted_vfs.sh makes it
#     (cryptsetup luksFormat -s 512 -c aes-xts-plain64, 512-byte sectors,
#     argon2id, a passphrase, ext4, a file written) is "foreign LUKS" with the
#     [luks] line it needs; adopt with the passphrase typed on a terminal
#     enrols the keyfile provider, a second adopt does nothing, the data is
#     intact, the old passphrase still opens it until --remove-old-keyslot;
#   - cryptpilot: volumes made with cryptpilot's format parameters (subsystem
#     "cryptpilot-initializing", then "cryptpilot" after mkfs; 4096-byte
#     sectors; hmac(sha256) integrity with a 768-bit key; argon2id; no token)
#     open with their unchanged volume file (exec provider, as cryptpilot's
#     template), without adopt, data intact; then adopt takes one over with
#     the provider's key; an init cryptpilot did not finish is refused;
#   - killed: adopt --remove-old-keyslot killed with SIGKILL (under gdb) at
#     each of its steps; after each the old passphrase or the new key opens
#     the volume, a rerun finishes, and the data is intact;
#   - tampered: a foreign header with cipher_null (valid checksums) is
#     refused as damaged or tampered before the old secret is even read.
# Needs root, device-mapper, cryptsetup, gdb and script(1) (run in the VM rig).
#
# Usage: scenarios/adopt.sh BUILD_DIR [CASE...]   (default: every case)
set -Eeuo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 BUILD_DIR [CASE...]" >&2; exit 2; }
build_dir=$(realpath "$1"); shift
readonly scenario=adopt root=/tmp/cvfs-adopt
source "$(dirname "$0")/lib.sh"
tamper_bin=$build_dir/tests/vm/luks-tamper

# The old secret of the Intel-style volumes, as a person typed it.
readonly passphrase='correct horse battery staple'

# Runs `cvfs ARGS` on a new pseudo-terminal and types each line of TYPED.
on_terminal() {
  local typed=$1; shift
  printf '$ cvfs %s   (typing on the terminal)\n' "$*"
  local command
  command=$(printf '%q ' "$cvfs_bin" -c "$confdir" "$@")
  { sleep 2; printf '%s' "$typed"; sleep 8; } | script -qefc "$command" /dev/null
}

# intel_volume NAME [CRYPTSETUP_OPTION...]: what create_encrypted_vfs.sh does
# (truncate, losetup, luksFormat -s 512 -c aes-xts-plain64, luksOpen,
# mkfs.ext4, mount), with a file written, then unmount_encrypted_vfs.sh.
intel_volume() {
  local name=$1; shift
  local img=$root/$name.img loop
  truncate -s 64M "$img"
  loop=$(losetup -f --show "$img")
  printf '%s' "$passphrase" >"$root/keys/$name.pass"
  chmod 600 "$root/keys/$name.pass"
  cryptsetup luksFormat -q --type luks2 -s 512 -c aes-xts-plain64 --sector-size 512 "$@" \
    --key-file "$root/keys/$name.pass" "$loop"
  cryptsetup luksOpen --key-file "$root/keys/$name.pass" "$loop" "$name-intel"
  mkfs.ext4 -q "/dev/mapper/$name-intel"
  mkdir -p "$root/mnt/$name"
  mount "/dev/mapper/$name-intel" "$root/mnt/$name"
  echo "data of $name" >"$root/mnt/$name/file.txt"
  umount "$root/mnt/$name"
  cryptsetup luksClose "$name-intel"
  losetup -d "$loop"
}

# intel_file NAME [SECTOR]: its cvfs volume file, the keyfile provider to move to.
intel_file() {
  local name=$1 sector=${2:-}
  {
    printf 'volume = "%s"\ndev = "%s/%s.img"\nmakefs = "ext4"\n' "$name" "$root" "$name"
    printf '\n[encrypt.keyfile]\nkey_file = "%s/keys/%s.key"\n' "$root" "$name"
    [[ -z $sector ]] || printf '\n[luks]\nsector_size = %s\n' "$sector"
    printf '\n[mount]\npoint = "%s/mnt/%s"\n' "$root" "$name"
  } >"$confdir/volumes/$name.toml"
}

check_data() { [[ $(cat "$root/mnt/$1/file.txt") == "data of $1" ]] || fail "the data of $1 is lost"; }

# Does the old passphrase still open NAME's block file?
old_secret_opens() {
  cryptsetup open --test-passphrase --key-file "$root/keys/$1.pass" "$root/$1.img" 2>/dev/null
}

# Does cvfs open NAME with its new key (and mount it with the data intact)?
new_key_opens() {
  "$cvfs_bin" -c "$confdir" open "$1" || return 1
  check_data "$1"
  cvfs close "$1"
}

# ---- Intel's scripts ----------------------------------------------------------

case_intel() {
  local name=intel output
  intel_volume "$name"
  intel_file "$name"  # cvfs's default 4096-byte sectors: not what the volume has
  output=$("$cvfs_bin" -c "$confdir" show "$name" 2>&1)
  echo "$output"
  grep -qF "foreign LUKS" <<<"$output" || fail "show did not say foreign LUKS"
  grep -qF "sector_size = 512" <<<"$output" || fail "show did not name the [luks] line the volume needs"
  ! grep -qF "tampered" <<<"$output" || fail "show called a sound Intel header tampered"
  expect_failure "sector_size = 512" adopt "$name" --key-file "$root/keys/$name.pass"

  intel_file "$name" 512
  output=$("$cvfs_bin" -c "$confdir" show "$name" 2>&1)
  echo "$output"
  grep -qF "foreign LUKS (cvfs adopt $name takes it over)" <<<"$output" || fail "show did not offer adopt"
  expect_failure "cvfs adopt $name" open "$name"

  # The passphrase typed on the terminal, as at the scripts' luksOpen.
  output=$(on_terminal "$passphrase"$'\n' adopt "$name" 2>&1)
  echo "$output"
  grep -qF "adopted $name" <<<"$output" || fail "adopt with a typed passphrase failed"
  ! grep -qF "$passphrase" <<<"$output" || fail "the typed passphrase was echoed"
  output=$("$cvfs_bin" -c "$confdir" adopt "$name" 2>&1)
  echo "$output"
  grep -qF "nothing to do" <<<"$output" || fail "a second adopt did not say there is nothing to do"
  cvfs show "$name" | grep -qF ready || fail "the adopted volume is not ready"
  cvfs open "$name"
  check_data "$name"
  cvfs close "$name"
  check_nothing_left "$name"
  old_secret_opens "$name" || fail "the old passphrase no longer opens $name, though its keyslot was kept"

  # Removing the old keyslot is asked; without a terminal it needs --yes.
  local status=0
  "$cvfs_bin" -c "$confdir" adopt --remove-old-keyslot "$name" --key-file "$root/keys/$name.pass" </dev/null ||
    status=$?
  ((status == 4)) || fail "--remove-old-keyslot without --yes and without a terminal exited $status, not 4"
  old_secret_opens "$name" || fail "a refused --remove-old-keyslot removed the keyslot"
  cvfs adopt --remove-old-keyslot --yes "$name" --key-file "$root/keys/$name.pass" | grep -qF "removed old keyslot" ||
    fail "--remove-old-keyslot did not remove the keyslot"
  ! old_secret_opens "$name" || fail "the old passphrase still opens $name after --remove-old-keyslot"
  cvfs open "$name"
  check_data "$name"
  cvfs close "$name"
}

# ---- cryptpilot -----------------------------------------------------------------

# cryptpilot_volume NAME INTEGRITY STAGE: cryptpilot-core's format (subsystem
# "cryptpilot-initializing", aes-xts-plain64, 4096-byte sectors, 512-bit key
# plus 256 for hmac(sha256) with integrity, the libcryptsetup argon2id
# defaults, one keyslot, no token), and for STAGE "ready" its mkfs through a
# temporary mapping, a file written, and the subsystem set to "cryptpilot".
# The key is what its exec template prints: "passphrase\n". The small volume
# is wiped whole by cryptsetup (cryptpilot copies only the blocks mkfs
# touches; the header is the same).
cryptpilot_volume() {
  local name=$1 integrity=$2 stage=$3
  local img=$root/$name.img
  truncate -s 32M "$img"
  echo passphrase >"$root/keys/$name.exec"
  local options=(--type luks2 --cipher aes-xts-plain64 --key-size 512 --sector-size 4096
                 --subsystem cryptpilot-initializing)
  [[ $integrity == true ]] && options+=(--integrity hmac-sha256)
  cryptsetup luksFormat -q "${options[@]}" --key-file "$root/keys/$name.exec" "$img"
  {
    printf 'volume = "%s"\ndev = "%s"\nauto_open = true\nmakefs = "ext4"\nintegrity = %s\n' \
      "$name" "$img" "$integrity"
    printf '\n[encrypt.exec]\ncommand = "/bin/echo"\nargs = ["passphrase"]\n'
  } >"$confdir/volumes/$name.toml"
  [[ $stage == ready ]] || return 0
  cryptsetup open --key-file "$root/keys/$name.exec" "$img" ".cryptpilot-$name"
  mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 "/dev/mapper/.cryptpilot-$name"
  mkdir -p "$root/mnt/$name"
  mount "/dev/mapper/.cryptpilot-$name" "$root/mnt/$name"
  echo "data of $name" >"$root/mnt/$name/file.txt"
  umount "$root/mnt/$name"
  cryptsetup close ".cryptpilot-$name"
  cryptsetup config --subsystem cryptpilot "$img"
}

# Opens cryptpilot's volume NAME with cvfs, mounts it as cryptpilot's users
# do (fstab), checks the data, closes.
open_as_cryptpilot_user() {
  local name=$1
  cvfs open "$name"
  mount "/dev/mapper/$name" "$root/mnt/$name"
  check_data "$name"
  umount "$root/mnt/$name"
  cvfs close "$name"
  check_nothing_left "$name"
}

case_cryptpilot() {
  local output
  cryptpilot_volume cp-plain false ready
  cryptpilot_volume cp-integrity true ready
  cryptpilot_volume cp-unfinished true initializing
  output=$("$cvfs_bin" -c "$confdir" show 2>&1)
  echo "$output"
  grep -qE 'cp-plain.*ready' <<<"$output" || fail "cryptpilot's volume cp-plain is not ready"

  # Without adopt, with cryptpilot's volume file as it is.
  open_as_cryptpilot_user cp-plain
  open_as_cryptpilot_user cp-integrity
  expect_failure "did not finish" open cp-unfinished
  expect_failure "did not finish" adopt cp-unfinished

  # adopt takes one over with the key of its own provider; cryptpilot's keyslot stays.
  cvfs adopt cp-integrity | grep -qF "adopted cp-integrity" || fail "adopt of cryptpilot's volume failed"
  "$cvfs_bin" -c "$confdir" adopt cp-integrity | grep -qF "nothing to do" || fail "a second adopt did something"
  open_as_cryptpilot_user cp-integrity
  cryptsetup open --test-passphrase --key-file "$root/keys/cp-integrity.exec" "$root/cp-integrity.img" ||
    fail "cryptpilot's own keyslot was removed"
}

# ---- killed at each step of adopt -------------------------------------------------

# The steps, in order: unlock with the old secret, the new keyslot made in
# the copy, the header written (its keyslot area first), what was written
# checked, the old keyslot removed.
case_killed() {
  local point symbol skip name
  for point in crypt_volume_key_get:0 crypt_keyslot_add_by_volume_key:0 crypt_header_restore:0 \
               cvfs::keyslot_opens:0 crypt_keyslot_destroy:0; do
    symbol=${point%:*} skip=${point##*:}
    name=k-${symbol//[_:]/-}
    name=${name:0:30}
    echo "-- adopt killed at $symbol"
    # Cheaper argon2id than cryptsetup's benchmark picks, so the 10 runs fit the time.
    intel_volume "$name" --pbkdf argon2id --pbkdf-memory 65536 --iter-time 300
    intel_file "$name" 512
    kill_at "$symbol" "$skip" adopt "$name" --key-file "$root/keys/$name.pass" --remove-old-keyslot --yes
    old_secret_opens "$name" || new_key_opens "$name" ||
      fail "after a kill at $symbol neither the old passphrase nor the new key opens $name"
    cvfs adopt "$name" --key-file "$root/keys/$name.pass" --remove-old-keyslot --yes
    cvfs open "$name"
    check_data "$name"
    cvfs close "$name"
    check_nothing_left "$name"
    ! old_secret_opens "$name" || fail "the rerun after a kill at $symbol left the old keyslot"
  done
}

# ---- a tampered foreign header ------------------------------------------------------

case_tampered() {
  local name=tampered
  intel_volume "$name"
  intel_file "$name" 512
  "$tamper_bin" "$root/$name.img" '"encryption":"aes-xts-plain64"' '"encryption":"cipher_null-ecb"'
  local output
  output=$("$cvfs_bin" -c "$confdir" show "$name" 2>&1)
  echo "$output"
  grep -qF "invalid header" <<<"$output" || fail "show did not call the tampered header invalid"
  grep -qF "tampered" <<<"$output" || fail "show did not say the header may be tampered with"
  local trace=$root/adopt.trace
  strace -f -qq -e trace=open,openat -o "$trace" "$cvfs_bin" -c "$confdir" adopt "$name" \
    --key-file "$root/keys/$name.pass" 2>&1 | sed 's/^/  /' || true
  expect_failure "damaged or was tampered with" adopt "$name" --key-file "$root/keys/$name.pass"
  ! grep -F "keys/$name.pass" "$trace" || fail "the old secret was read for a tampered header"
  ! grep -F "keys/$name.key" "$trace" || fail "the new key was made for a tampered header"
  cryptsetup luksDump "$root/$name.img" | grep -q '^Tokens:$' || true
  ! cryptsetup luksDump "$root/$name.img" | grep -qF "cvfs" || fail "a cvfs token was written to a tampered header"
}

all_cases=(intel cryptpilot killed tampered)
run_cases "$@"
