#!/usr/bin/env bash
# Data safety on a real kernel, each a case of its own:
#   - damaged_first_sector: a ready volume whose first ciphertext sector is
#     damaged shows no filesystem; open refuses (no mkfs), --no-mount keeps
#     the mapping for e2fsck with a backup superblock, and once the sector is
#     back all 20 files are intact;
#   - token_flipped: a ready volume whose token state the host rewrote to
#     "initializing" (or whose token it removed) is not reformatted by init
#     without --force, and its data is intact;
#   - init_killed_early: init killed right after crypt_format and after the
#     first keyslot (before any token) is finished by init without --force;
#     init_stopped_before_token makes the same states with cryptsetup;
#   - integrity_init_timeout: init of an integrity volume with `timeout = 5`
#     is not cut short by the timeout (the wipe and mkfs take longer), and how
#     long it takes for 512 MiB and for a large volume on a disk.
# Needs root, device-mapper and gdb (run in the VM rig).
#
# Usage: scenarios/data_safety.sh BUILD_DIR [CASE...]   (default: every case)
set -Eeuo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 BUILD_DIR [CASE...]" >&2; exit 2; }
build_dir=$(realpath "$1"); shift
readonly root=/tmp/cvfs-data-safety
readonly confdir=$root/conf
cvfs_bin=$build_dir/bin/cvfs

trap 'echo "data_safety: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cvfs() { printf '$ cvfs %s\n' "$*"; "$cvfs_bin" -c "$confdir" "$@"; }
fail() { echo "data_safety: $*" >&2; return 1; }

setup() {
  rm -rf "$root"
  mkdir -p "$confdir/volumes" "$root/run" "$root/keys" "$root/mnt"
  chmod 700 "$root/keys"
  printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" \
    >"$confdir/cvfs.toml"
}

# volume NAME [INTEGRITY] [SIZE] [DIR] [EXTRA]: a keyfile volume with ext4, mounted.
volume() {
  local name=$1 integrity=${2:-none} size=${3:-64M} dir=${4:-$root} extra=${5:-}
  {
    printf 'volume = "%s"\ndev = "%s/%s.img"\nmakefs = "ext4"\nintegrity = "%s"\n%s\n' \
      "$name" "$dir" "$name" "$integrity" "$extra"
    printf '\n[encrypt.keyfile]\nkey_file = "%s/keys/%s.key"\n' "$root" "$name"
    printf '\n[device]\nsize = "%s"\n\n[mount]\npoint = "%s/mnt/%s"\n' "$size" "$root" "$name"
  } >"$confdir/volumes/$name.toml"
}

# expect_failure TEXT CVFS_ARGS...: cvfs must fail and say TEXT.
expect_failure() {
  local text=$1; shift
  local output status=0
  output=$("$cvfs_bin" -c "$confdir" "$@" 2>&1) || status=$?
  printf '$ cvfs %s  (exit %d)\n%s\n' "$*" "$status" "$output"
  ((status != 0)) || fail "cvfs $* succeeded"
  grep -qF -- "$text" <<<"$output" || fail "cvfs $* did not say: $text"
}

check_nothing_left() {
  local name=$1
  [[ ! -e /dev/mapper/$name && ! -e /dev/mapper/${name}_dif ]] || fail "a mapping of $name is left"
  ! findmnt "$root/mnt/$name" >/dev/null || fail "$name is still mounted"
}

# write_files NAME: 20 files of random data, and their checksums.
write_files() {
  local name=$1 i
  for i in $(seq 1 20); do head -c $((4096 * i)) /dev/urandom >"$root/mnt/$name/file$i"; done
  (cd "$root/mnt/$name" && sha256sum file*) >"$root/$name.sums"
  sync
}
check_files() {
  (cd "$root/mnt/$1" && sha256sum --quiet -c "$root/$1.sums") || fail "the files of $1 are not intact"
  [[ $(wc -l <"$root/$1.sums") -eq 20 ]]
}

# The byte offset of the data segment of a block file's LUKS2 header.
data_offset() {
  cryptsetup luksDump "$1" | awk '/^Data segments:/ {s = 1} s && /offset:/ {print $2; exit}'
}

# kill_at SYMBOL SKIP CVFS_ARGS...: runs cvfs under gdb and kills it with
# SIGKILL when it reaches SYMBOL for the (SKIP+1)th time.
kill_at() {
  local symbol=$1 skip=$2; shift 2
  local log=$root/gdb.log
  gdb -q -batch -nx --readnever -ex 'set breakpoint pending on' -ex 'set startup-with-shell off' \
    -ex "break $symbol" -ex "ignore 1 $skip" -ex run -ex 'signal SIGKILL' \
    --args "$cvfs_bin" -c "$confdir" "$@" >"$log" 2>&1 || true
  grep -qE "Breakpoint 1(\.[0-9]+)?, " "$log" || { cat "$log" >&2; fail "cvfs $* never reached $symbol"; }
  grep -qE "terminated with signal SIGKILL|No such process" "$log" || { cat "$log" >&2; fail "cvfs $* was not killed"; }
  echo "killed: cvfs $* at $symbol (hit $((skip + 1)))"
}

# ---- item: open never formats a ready volume --------------------------------

case_damaged_first_sector() {
  local name=damaged img=$root/damaged.img
  volume "$name" none 256M
  cvfs init --yes "$name"
  cvfs open "$name"
  write_files "$name"
  cvfs close "$name"
  local sector=$(( $(data_offset "$img") / 4096 ))
  dd if="$img" of="$root/sector.saved" bs=4096 skip="$sector" count=1 status=none
  dd if=/dev/urandom of="$img" bs=4096 seek="$sector" count=1 conv=notrunc status=none
  expect_failure "shows no filesystem" open "$name"
  expect_failure "e2fsck -n -b 32768" open "$name"
  check_nothing_left "$name"
  cvfs open --no-mount "$name"
  [[ -e /dev/mapper/$name ]] || fail "--no-mount did not keep the mapping"
  ! findmnt "$root/mnt/$name" >/dev/null || fail "--no-mount mounted it"
  # The first backup superblock: block 32768 with 4 KiB blocks, 8193 with 1 KiB.
  local status=0
  e2fsck -n -b 32768 -B 4096 "/dev/mapper/$name" || status=$?
  if ((status >= 8)); then status=0; e2fsck -n -b 8193 -B 1024 "/dev/mapper/$name" || status=$?; fi
  echo "e2fsck with the backup superblock: exit $status"
  ((status < 8)) || fail "e2fsck could not use the backup superblock"
  cvfs close "$name"
  dd if="$root/sector.saved" of="$img" bs=4096 seek="$sector" count=1 conv=notrunc status=none
  cvfs open "$name"
  check_files "$name"
  cvfs close "$name"
  check_nothing_left "$name"
}

# ---- item: an unauthenticated "initializing" authorises nothing ------------

case_token_flipped() {
  local name=flipped img=$root/flipped.img
  volume "$name" hmac-sha256
  cvfs init --yes "$name"
  cvfs open "$name"
  write_files "$name"
  cvfs close "$name"
  cryptsetup token export --token-id 0 "$img" >"$root/token.json"
  sed 's/"state":"ready"/"state":"initializing"/' "$root/token.json" >"$root/token.flipped"
  ! cmp -s "$root/token.json" "$root/token.flipped" || fail "the token has no ready state to flip"
  cryptsetup token import --token-id 0 --token-replace "$img" <"$root/token.flipped"
  cvfs show "$name"
  expect_failure "libblkid finds ext4" init --yes "$name"
  check_nothing_left "$name"
  # The token removed altogether: the label and subsystem say cvfs, the
  # keyslot opens, and the data is still there: refused as well.
  cryptsetup token remove --token-id 0 "$img"
  cvfs show "$name"
  expect_failure "holds data" init --yes "$name"
  check_nothing_left "$name"
  cryptsetup token import --token-id 0 "$img" <"$root/token.json"
  cvfs open "$name"
  check_files "$name"
  cvfs close "$name"
  check_nothing_left "$name"
}

# ---- item: an init stopped before its first token is cvfs's own ------------

case_init_killed_early() {
  local point symbol skip name
  for point in crypt_keyslot_add_by_volume_key:0 crypt_token_json_set:0; do
    symbol=${point%:*} skip=${point#*:}
    name=ke-${symbol//_/-}
    echo "-- init killed at $symbol"
    volume "$name" hmac-sha256
    kill_at "$symbol" "$skip" init --yes "$name"
    cryptsetup luksDump "$root/$name.img" | grep -E "Label|Subsystem"
    cvfs show "$name" | tee "$root/show.out"
    grep -q "init interrupted" "$root/show.out" || fail "show does not call it an interrupted init"
    cvfs init --yes "$name"  # no --force: an interrupted init is finished
    cvfs open "$name"
    write_files "$name"
    cvfs close "$name"
    cvfs open "$name"
    check_files "$name"
    cvfs close "$name"
    check_nothing_left "$name"
  done
}

# The same two states made without gdb: cryptsetup writes what crypt_format
# and the first keyslot of a cvfs init write (label, subsystem "cvfs", no
# token, the integrity area not wiped); init finishes it without --force.
case_init_stopped_before_token() {
  local name=ks img=$root/ks.img
  volume "$name" hmac-sha256
  truncate -s 64M "$img"
  head -c 32 /dev/urandom >"$root/keys/$name.key"
  chmod 600 "$root/keys/$name.key"
  cryptsetup luksFormat -q --type luks2 --cipher aes-xts-plain64 --key-size 512 --integrity hmac-sha256 \
    --integrity-no-wipe --sector-size 4096 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --hash sha256 \
    --label "$name" --subsystem cvfs --key-file "$root/keys/$name.key" "$img"
  cvfs show "$name" | tee "$root/show.out"
  grep -q "init interrupted" "$root/show.out" || fail "show does not call it an interrupted init"
  cvfs init --yes "$name"
  # Again with the keyslot gone too (killed between crypt_format and it).
  cryptsetup token remove --token-id 0 "$img"
  cryptsetup luksKillSlot -q "$img" 0
  cvfs show "$name"
  cvfs init --yes "$name"
  cvfs open "$name"
  write_files "$name"
  cvfs close "$name"
  cvfs open "$name"
  check_files "$name"
  cvfs close "$name"
  check_nothing_left "$name"
}

# ---- item: the timeout does not bound format work ---------------------------

# timed_init NAME: init, and how long it took.
timed_init() {
  local start=$EPOCHREALTIME
  cvfs init --yes "$1"
  echo "figure: init of $1 took $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}') s"
}

case_integrity_init_timeout() {
  dmesg -C
  volume it-512m hmac-sha256 512M "$root" "timeout = 5"
  timed_init it-512m
  cvfs open it-512m
  write_files it-512m
  cvfs close it-512m
  cvfs open it-512m
  check_files it-512m
  cvfs close it-512m
  check_nothing_left it-512m
  rm -f "$root/it-512m.img"
  if [[ -b /dev/nvme0n1 ]]; then
    mkfs.ext4 -q -F /dev/nvme0n1
    mkdir -p "$root/disk"
    mount /dev/nvme0n1 "$root/disk"
    volume it-large hmac-sha256 "$LARGE_SIZE" "$root/disk" "timeout = 5"
    timed_init it-large
    cvfs open it-large
    write_files it-large
    cvfs close it-large
    check_nothing_left it-large
    umount "$root/disk"
  fi
  if dmesg | grep -iE "integrity.*(checksum|error)|I/O error"; then fail "the kernel logged integrity errors"; fi
}

readonly LARGE_SIZE=${CVFS_LARGE_SIZE:-1G}
all_cases=(damaged_first_sector token_flipped init_killed_early init_stopped_before_token
           integrity_init_timeout)
[[ $# -gt 0 ]] || set -- "${all_cases[@]}"
setup
for case in "$@"; do
  echo "== $case"
  start=$SECONDS
  "case_$case"
  echo "== $case passed in $((SECONDS - start)) s"
done
rm -rf "$root"
echo "data_safety: all $# cases passed"
