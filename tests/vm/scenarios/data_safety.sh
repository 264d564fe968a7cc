#!/usr/bin/env bash
# Data safety on a real kernel, each a case of its own:
#   - damaged_first_sector: a ready volume whose first ciphertext sector is
#     damaged shows no filesystem; open refuses (no mkfs), --no-mount keeps
#     the mapping for e2fsck with a backup superblock, and once the sector is
#     back all 20 files are intact;
#   - damaged_header: random bytes over each header copy's binary header and
#     JSON area in turn, then over the keyslot area: open works from the
#     other copy with the data intact or refuses naming the volume; init
#     without --force formats nothing; the data is intact once restored;
#   - token_flipped: a ready volume whose token state the host rewrote to
#     "initializing" (or whose token it removed) is not reformatted by init
#     without --force, and its data is intact;
#   - init_killed_early: init killed at each step before its one header
#     write leaves no header, and a plain rerun makes the volume;
#     init_stopped_before_token: cvfs's mark on a header without the token
#     (or the keyslot) cvfs writes with it is refused without --force;
#   - integrity_init_timeout: init of an integrity volume with `timeout = 2`
#     is not cut short by the timeout (the wipe and mkfs take longer), and how
#     long it takes for 192 MiB and, given an NVMe disk, for a larger volume.
# Needs root, device-mapper and gdb (run in the VM rig).
#
# Usage: scenarios/data_safety.sh BUILD_DIR [CASE...]   (default: every case)
set -Eeuo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 BUILD_DIR [CASE...]" >&2; exit 2; }
build_dir=$(realpath "$1"); shift
readonly scenario=data_safety root=/tmp/cvfs-data-safety
source "$(dirname "$0")/lib.sh"

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

# ---- item: damaged header sectors -------------------------------------------

# region_of IMG REGION: "OFFSET LENGTH" in bytes of one part of IMG's LUKS2
# header: the primary binary header and JSON area, the secondary ones, the
# area of the first keyslot.
region_of() {
  local img=$1 hdr_size
  hdr_size=$(od -An -t x1 -j 8 -N 8 "$img" | tr -d ' \n')
  hdr_size=$((16#$hdr_size))
  case $2 in
    primary-binary) echo "0 4096" ;;
    primary-json) echo "4096 $((hdr_size - 4096))" ;;
    secondary-binary) echo "$hdr_size 4096" ;;
    secondary-json) echo "$((hdr_size + 4096)) $((hdr_size - 4096))" ;;
    keyslot-area)
      cryptsetup luksDump "$img" |
        awk '/^Keyslots:/ {s = 1} s && /Area offset:/ {gsub(/[^0-9]/, ""); o = $0}
             s && /Area length:/ {gsub(/[^0-9]/, ""); print o, $0; exit}' ;;
  esac
}

# Each part damaged in turn (random bytes over it), then open: from one
# intact copy it opens with the data intact or refuses clearly; a damaged
# keyslot area is refused naming the volume, the key file is read at most
# once, and init without --force reformats nothing. Once the bytes are back
# the data is intact.
case_damaged_header() {
  local name=hdr img=$root/hdr.img region offset length status output reads
  volume "$name" none 64M
  cvfs init --yes "$name"
  cvfs open "$name"
  write_files "$name"
  cvfs close "$name"
  for region in primary-binary primary-json secondary-binary secondary-json keyslot-area; do
    read -r offset length < <(region_of "$img" "$region")
    echo "-- $region damaged: $length bytes at $offset"
    dd if="$img" of="$root/region.saved" bs=1 skip="$offset" count="$length" status=none iflag=skip_bytes,count_bytes
    head -c "$length" /dev/urandom | dd of="$img" bs=1M seek="$offset" conv=notrunc status=none oflag=seek_bytes
    status=0
    output=$(strace -f -qq -e trace=openat -o "$root/open.trace" "$cvfs_bin" -c "$confdir" open "$name" 2>&1) ||
      status=$?
    printf '$ cvfs open %s  (exit %d)\n%s\n' "$name" "$status" "$output"
    reads=$(grep -c "keys/$name.key" "$root/open.trace" || true)
    echo "the key file was opened $reads time(s)"
    ((reads <= 1)) || fail "$region: the key provider was asked $reads times"
    ((status < 128)) || fail "$region: open died of signal $((status - 128))"
    if [[ $region == keyslot-area ]]; then
      ((status != 0)) || fail "open worked with a damaged keyslot area"
    fi
    if ((status == 0)); then
      check_files "$name"
      cvfs close "$name"
    else
      grep -qF "'$name'" <<<"$output" || fail "$region: the refusal does not name the volume"
      check_nothing_left "$name"
      expect_failure "" init --yes "$name"
    fi
    dd if="$root/region.saved" of="$img" bs=1M seek="$offset" conv=notrunc status=none oflag=seek_bytes
    cvfs open "$name"
    check_files "$name"
    cvfs close "$name"
    check_nothing_left "$name"
  done
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
  # keyslot opens, and the data is still there: refused as well (cvfs writes
  # the token with the header, so a marked header without one was changed).
  cryptsetup token remove --token-id 0 "$img"
  cvfs show "$name"
  expect_failure "without the keyslot and token cvfs writes with it" init --yes "$name"
  check_nothing_left "$name"
  cryptsetup token import --token-id 0 "$img" <"$root/token.json"
  cvfs open "$name"
  check_files "$name"
  cvfs close "$name"
  check_nothing_left "$name"
}

# ---- item: the header is written in one step, its mark authorises nothing --

# init makes the header with keyslot 0 and the token in memory and writes it
# once (crypt_header_restore): killed at any step before, it leaves no LUKS
# header, and a plain rerun makes the volume.
case_init_killed_early() {
  local symbol name
  for symbol in crypt_keyslot_add_by_volume_key crypt_header_restore; do
    name=ke-${symbol//_/-}
    echo "-- init killed at $symbol"
    volume "$name"
    kill_at "$symbol" 0 init --yes "$name"
    if cryptsetup isLuks "$root/$name.img"; then
      cryptsetup luksDump "$root/$name.img" >&2
      fail "killed at $symbol, init left a header without its keyslot and token"
    fi
    cvfs init --yes "$name"  # no --force: nothing was written
    cvfs open "$name"
    write_files "$name"
    cvfs close "$name"
    cvfs open "$name"
    check_files "$name"
    cvfs close "$name"
    check_nothing_left "$name"
  done
}

# cryptsetup writes what a host could: cvfs's label and subsystem on a header
# without the cvfs token, then without the keyslot too (what crypt_format
# alone writes). Neither is an init of cvfs's: init refuses both without
# --force, and --force makes the volume.
case_init_stopped_before_token() {
  local name=ks img=$root/ks.img
  volume "$name" hmac-sha256
  truncate -s 64M "$img"
  head -c 32 /dev/urandom >"$root/keys/$name.key"
  chmod 600 "$root/keys/$name.key"
  cryptsetup luksFormat -q --type luks2 --cipher aes-xts-plain64 --key-size 512 --integrity hmac-sha256 \
    --integrity-no-wipe --sector-size 4096 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --hash sha256 \
    --label "$name" --subsystem cvfs --key-file "$root/keys/$name.key" "$img"
  local uuid
  uuid=$(cryptsetup luksUUID "$img")
  cvfs show "$name" 2>&1 | tee "$root/show.out"
  grep -q "the header was changed" "$root/show.out" || fail "show does not say the header was changed"
  expect_failure "without the keyslot and token cvfs writes with it" init --yes "$name"
  cryptsetup luksKillSlot -q "$img" 0
  expect_failure "without the keyslot and token cvfs writes with it" init --yes "$name"
  [[ $(cryptsetup luksUUID "$img") == "$uuid" ]] || fail "init rewrote the header without --force"
  cvfs init --yes --force "$name"
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
  volume it-192m hmac-sha256 192M "$root" "timeout = 2"
  timed_init it-192m
  cvfs open it-192m
  write_files it-192m
  cvfs close it-192m
  cvfs open it-192m
  check_files it-192m
  cvfs close it-192m
  check_nothing_left it-192m
  rm -f "$root/it-192m.img"
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
all_cases=(damaged_first_sector damaged_header token_flipped init_killed_early init_stopped_before_token
           integrity_init_timeout)
run_cases "$@"
