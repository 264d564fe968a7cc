#!/usr/bin/env bash
# Faults on a real kernel, each a case of its own:
#   - cvfs killed (SIGKILL, under gdb, at a breakpoint) at each step of init,
#     open, close, reseal and add-recovery-key, then run again: the run finishes the job, nothing
#     persistent is lost, and no mapping or loop device is left after close;
#   - a tampered LUKS2 header (cipher_null written into both copies, with
#     valid checksums) is refused before the key file is even opened;
#   - a mapping of the volume's name on another device is refused;
#   - two `cvfs open` of one volume at once: one mapping, one mount;
#   - a missing block file: a clear error, then data intact once it is back;
#   - a full filesystem: close and reopen work and the data is intact.
# Needs root, device-mapper and gdb (run in the VM rig).
#
# Usage: scenarios/faults.sh BUILD_DIR [CASE...]   (default: every case)
set -Eeuo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 BUILD_DIR [CASE...]" >&2; exit 2; }
build_dir=$(realpath "$1"); shift
readonly scenario=faults root=/tmp/cvfs-faults
source "$(dirname "$0")/lib.sh"
tamper_bin=$build_dir/tests/vm/luks-tamper

# volume NAME PROVIDER [INTEGRITY] [SIZE]: a volume file with ext4, mounted.
volume() {
  local name=$1 provider=$2 integrity=${3:-none} size=${4:-64M}
  {
    printf 'volume = "%s"\ndev = "%s/%s.img"\nmakefs = "ext4"\nintegrity = "%s"\n' \
      "$name" "$root" "$name" "$integrity"
    if [[ $provider == keyfile ]]; then
      printf '\n[encrypt.keyfile]\nkey_file = "%s/keys/%s.key"\n' "$root" "$name"
    else
      printf '\n[encrypt.otp]\n'
    fi
    printf '\n[device]\nsize = "%s"\n\n[mount]\npoint = "%s/mnt/%s"\n' "$size" "$root" "$name"
  } >"$confdir/volumes/$name.toml"
}

write_data() { echo "data of $1" >"$root/mnt/$1/file.txt"; sync; }
check_data() { [[ $(cat "$root/mnt/$1/file.txt") == "data of $1" ]] || fail "the data of $1 is lost"; }

# ---- killed during init -----------------------------------------------------

# The steps of init, in order: format the header ("initializing"), map it,
# wipe it (integrity), run mkfs (its dry run first), mark it "ready".
case_init_killed() {
  local point symbol skip name
  for point in crypt_format:0 crypt_activate_by_volume_key:0 cvfs::zero_fill:0 posix_spawn:1 \
               crypt_token_json_set:1; do
    symbol=${point%:*} skip=${point##*:}
    name=ki-${symbol//[_:]/-}
    echo "-- init killed at $symbol"
    volume "$name" keyfile hmac-sha256
    kill_at "$symbol" "$skip" init --yes "$name"
    cvfs show "$name"
    cvfs init --yes "$name"  # no --force: an interrupted init is finished
    cvfs open "$name"
    write_data "$name"
    cvfs close "$name"
    cvfs open "$name"
    check_data "$name"
    cvfs close "$name"
    check_nothing_left "$name"
  done
}

# ---- killed during open -----------------------------------------------------

case_open_killed() {
  local point symbol skip name
  # A persistent volume with data: killed before and after the mapping.
  for point in crypt_volume_key_get:0 crypt_activate_by_volume_key:0 mount:0; do
    symbol=${point%:*} skip=${point##*:}
    name=ko-${symbol//[_:]/-}
    echo "-- open of a persistent volume killed at $symbol"
    volume "$name" keyfile
    cvfs init --yes "$name"
    cvfs open "$name"
    write_data "$name"
    cvfs close "$name"
    kill_at "$symbol" "$skip" open "$name"
    cvfs show "$name"
    cvfs open "$name"
    check_data "$name"
    cvfs close "$name"
    check_nothing_left "$name"
  done
  # A temporary volume with integrity: killed at each step of making it.
  for point in crypt_activate_by_volume_key:0 cvfs::zero_fill:0 posix_spawn:1 mount:0; do
    symbol=${point%:*} skip=${point##*:}
    name=kt-${symbol//[_:]/-}
    echo "-- open of a temporary volume killed at $symbol"
    volume "$name" otp hmac-sha256
    kill_at "$symbol" "$skip" open "$name"
    cvfs show "$name"
    cvfs open "$name"
    write_data "$name"
    check_data "$name"
    cvfs close "$name"
    check_nothing_left "$name"
  done
}

# ---- killed during close ----------------------------------------------------

# The steps of close: unmount, deactivate the mapping, detach the loop device.
# One volume, killed at each in turn; the next close finishes the job.
case_close_killed() {
  local symbol name=kc
  volume "$name" keyfile none 32M
  cvfs init --yes "$name"
  cvfs open "$name"
  write_data "$name"
  for symbol in umount2 crypt_deactivate cvfs_loop::clear; do
    echo "-- close killed at $symbol"
    kill_at "$symbol" 0 close "$name"
    cvfs show "$name"
    cvfs close "$name"
    check_nothing_left "$name"
    cvfs open "$name"
    check_data "$name"
  done
  cvfs close "$name"
  check_nothing_left "$name"
}

# A process holding a file on the filesystem: close refuses with exit code
# 6 (in use), names the mount point and leaves the volume mounted and whole;
# once the process is gone, close works.
case_close_in_use() {
  local name=busy holder status=0 output
  volume "$name" keyfile none 32M
  cvfs init --yes "$name"
  cvfs open "$name"
  write_data "$name"
  sleep 300 <"$root/mnt/$name/file.txt" &
  holder=$!
  output=$("$cvfs_bin" -c "$confdir" close "$name" 2>&1) || status=$?
  printf '$ cvfs close %s  (exit %d)\n%s\n' "$name" "$status" "$output"
  ((status == 6)) || fail "close of a filesystem in use exited $status, expected 6"
  grep -qF "$root/mnt/$name" <<<"$output" || fail "the refusal does not name the mount point"
  findmnt -n "$root/mnt/$name" >/dev/null || fail "the refused close unmounted $name"
  check_data "$name"
  kill "$holder"; wait "$holder" 2>/dev/null || true
  cvfs close "$name"
  check_nothing_left "$name"
}

# ---- killed during reseal and add-recovery-key ------------------------------

# opens_with NAME KEYFILE: a keyslot of NAME's header takes KEYFILE's bytes.
opens_with() {
  cryptsetup open --test-passphrase --key-file "$2" "$root/$1.img" 2>/dev/null
}

# A reseal to a new key file (the old one given as the recovery key): its
# steps are unlocking with the old key, adding the new keyslot and the token
# that names it in a copy of the header, writing that header, removing the
# old keyslot. After a kill the volume opens
# with the old key or the new one, a second reseal finishes the job, and the
# data is intact. One volume, resealed once per step.
case_reseal_killed() {
  local symbol name=kr old=$root/keys/kr.old new=$root/keys/kr.key keyslots
  volume "$name" keyfile none 32M
  cvfs init --yes "$name"
  cvfs open "$name"
  write_data "$name"
  cvfs close "$name"
  for symbol in crypt_volume_key_get crypt_keyslot_add_by_volume_key crypt_header_restore \
                crypt_keyslot_destroy; do
    echo "-- reseal killed at $symbol"
    mv "$new" "$old"  # the provider makes a new key file at enrol
    kill_at "$symbol" 0 reseal --recovery-key-file "$old" "$name"
    opens_with "$name" "$old" || { [[ -e $new ]] && opens_with "$name" "$new"; } ||
      fail "after the kill $name opens with neither the old key nor the new one"
    cvfs show "$name"
    cvfs reseal --recovery-key-file "$old" "$name"
    opens_with "$name" "$new" || fail "the new key does not open $name after the second reseal"
    # Killed after the token names the new keyslot, the token still names the
    # old one too, so the second reseal removes it with the first's.
    ! opens_with "$name" "$old" || fail "the old key still opens $name after the second reseal"
    # One keyslot is left, the token's: none nobody accounts for.
    keyslots=$(cryptsetup luksDump "$root/$name.img" | awk '/^Keyslots:/ {s = 1} /^Tokens:/ {s = 0} s && /^  [0-9]+: /')
    echo "keyslots: $keyslots"
    [[ $(wc -l <<<"$keyslots") -eq 1 ]] || fail "after the second reseal $name has more than one keyslot"
    check_nothing_left "$name"
    cvfs open "$name"
    check_data "$name"
    cvfs close "$name"
  done
  check_nothing_left "$name"
}

# add-recovery-key's steps: checking the provider's key, adding the keyslot.
case_recovery_key_killed() {
  local symbol name=ka recovery
  volume "$name" keyfile none 32M
  cvfs init --yes "$name"
  cvfs open "$name"
  write_data "$name"
  cvfs close "$name"
  for symbol in crypt_activate_by_passphrase crypt_keyslot_add_by_passphrase; do
    echo "-- add-recovery-key killed at $symbol"
    recovery=$root/keys/$name.${symbol//_/-}
    head -c 24 /dev/urandom | base64 >"$recovery"; chmod 600 "$recovery"
    kill_at "$symbol" 0 add-recovery-key "$name" --key-file "$recovery"
    opens_with "$name" "$root/keys/$name.key" || fail "the provider's key does not open $name after the kill"
    cvfs add-recovery-key "$name" --key-file "$recovery"
    opens_with "$name" "$recovery" || fail "the recovery key does not open $name"
    opens_with "$name" "$root/keys/$name.key" || fail "the provider's key does not open $name"
    check_nothing_left "$name"
  done
  cvfs open "$name"
  check_data "$name"
  cvfs close "$name"
  check_nothing_left "$name"
}

# ---- a tampered header ------------------------------------------------------

case_tampered_header() {
  local name=tampered
  volume "$name" keyfile
  cvfs init --yes "$name"
  "$tamper_bin" "$root/$name.img" '"encryption":"aes-xts-plain64"' '"encryption":"cipher_null-ecb"'
  # The key file must not even be opened: trace the files cvfs opens.
  local trace=$root/open.trace
  strace -f -qq -e trace=open,openat -o "$trace" "$cvfs_bin" -c "$confdir" open "$name" 2>&1 | sed 's/^/  /' || true
  expect_failure "cipher_null" open "$name"
  ! grep -F "keys/$name.key" "$trace" || fail "the key file was opened for a tampered header"
  [[ ! -e /dev/mapper/$name ]] || fail "a tampered volume was mapped"
  cvfs close "$name"
  check_nothing_left "$name"
}

# ---- a mapping of this name on another device -------------------------------

case_wrong_device() {
  volume wd-a keyfile
  volume wd-b keyfile
  cvfs init --yes wd-a
  cvfs init --yes wd-b
  # Another tool maps wd-a's device under the name wd-b.
  local loop
  loop=$(losetup -f --show "$root/wd-a.img")
  cryptsetup open --key-file "$root/keys/wd-a.key" "$loop" wd-b
  expect_failure "is not on the configured device" open wd-b
  expect_failure "is not on the configured device" close wd-b
  [[ -e /dev/mapper/wd-b ]] || fail "cvfs removed a mapping that is not its own"
  cryptsetup close wd-b
  losetup -d "$loop"
  cvfs open wd-b
  cvfs close wd-b
  check_nothing_left wd-a
  check_nothing_left wd-b
}

# ---- two opens at once ------------------------------------------------------

case_concurrent_opens() {
  local name=twice
  volume "$name" keyfile
  cvfs init --yes "$name"
  local first=0 second=0
  "$cvfs_bin" -c "$confdir" open "$name" &
  local pid=$!
  "$cvfs_bin" -c "$confdir" open "$name" || second=$?
  wait "$pid" || first=$?
  echo "exit statuses: $first and $second"
  ((first == 0 && second == 0)) || fail "concurrent opens: exit statuses $first and $second"
  [[ $(findmnt -n "$root/mnt/$name" | wc -l) -eq 1 ]] || fail "mounted more than once"
  [[ $(ls /dev/mapper | grep -c "^$name\$") -eq 1 ]]
  cvfs close "$name"
  check_nothing_left "$name"
}

# ---- the device is missing --------------------------------------------------

case_device_missing() {
  local name=gone
  volume "$name" keyfile
  cvfs init --yes "$name"
  cvfs open "$name"
  write_data "$name"
  cvfs close "$name"
  mv "$root/$name.img" "$root/$name.away"
  expect_failure "$root/$name.img" open "$name"
  cvfs show "$name"
  check_nothing_left "$name"
  mv "$root/$name.away" "$root/$name.img"
  cvfs open "$name"
  check_data "$name"
  cvfs close "$name"
  check_nothing_left "$name"
}

# ---- the filesystem is full -------------------------------------------------

case_filesystem_full() {
  local name=full
  volume "$name" keyfile
  cvfs init --yes "$name"
  cvfs open "$name"
  write_data "$name"
  if dd if=/dev/zero of="$root/mnt/$name/fill" bs=1M status=none 2>"$root/dd.err"; then
    fail "the filesystem never filled up"
  fi
  grep -q "No space left" "$root/dd.err" || { cat "$root/dd.err" >&2; fail "dd failed otherwise"; }
  sync
  cvfs close "$name"
  cvfs open "$name"
  check_data "$name"
  umount "$root/mnt/$name"
  e2fsck -fn "/dev/mapper/$name"
  cvfs open "$name"  # mounts it again
  rm "$root/mnt/$name/fill"
  cvfs close "$name"
  check_nothing_left "$name"
}

all_cases=(init_killed open_killed close_killed close_in_use reseal_killed recovery_key_killed tampered_header wrong_device
           concurrent_opens device_missing filesystem_full)
run_cases "$@"
