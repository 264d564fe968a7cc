#!/usr/bin/env bash
# Concurrency, crashes and interruption on a real kernel, one case each:
#   parallel_rounds N  16 volumes (otp and keyfile, ext4, vfat and none,
#                      with and without integrity, each on its own block
#                      file): `cvfs open --all` then `cvfs close --all`, N
#                      rounds, with `cvfs show` running beside them the whole
#                      time: no crash, every volume open after each open, no
#                      mapping, loop device or mount left after each close;
#   half_made          a mapping with only an inactive table (as a crash in
#                      the middle of an activation leaves it), and one whose
#                      /dev/mapper node is missing: show names it, open and
#                      close remove it; one made for another header is
#                      refused with a hint, never removed;
#   no_core_dump       SIGSEGV delivered to cvfs while an activated volume is
#                      being written (its volume key in libcryptsetup's
#                      memory) leaves no core file, while a dumpable process
#                      killed the same way leaves one; the running cvfs has a
#                      core limit of 0;
#   cancel_init SIZE   SIGINT two seconds into the init of a large integrity
#                      volume: cvfs exits within seconds, no mapping is left,
#                      show says "init interrupted", a second init finishes.
# Needs root, device-mapper and dmsetup (run in the VM rig).
#
# Usage: scenarios/concurrency.sh BUILD_DIR CASE [ARGS] [-- CASE [ARGS]]...
set -Eeuo pipefail

[[ $# -ge 2 ]] || { echo "usage: $0 BUILD_DIR CASE [ARGS] [-- CASE [ARGS]]..." >&2; exit 2; }
build_dir=$(realpath "$1"); shift
readonly scenario=concurrency root=/tmp/cvfs-conc
source "$(dirname "$0")/lib.sh"

# volume NAME PROVIDER FS INTEGRITY SIZE: a volume file; FS "none": no
# filesystem and no mount.
volume() {
  local name=$1 provider=$2 fs=$3 integrity=$4 size=$5
  {
    printf 'volume = "%s"\ndev = "%s/%s.img"\nauto_open = true\nintegrity = "%s"\n' "$name" "$root" "$name" "$integrity"
    [[ $fs == none ]] || printf 'makefs = "%s"\n' "$fs"
    if [[ $provider == keyfile ]]; then
      printf '\n[encrypt.keyfile]\nkey_file = "%s/keys/%s.key"\n' "$root" "$name"
    else
      printf '\n[encrypt.otp]\n'
    fi
    printf '\n[device]\nsize = "%s"\n' "$size"
    [[ $fs == none ]] || printf '\n[mount]\npoint = "%s/mnt/%s"\n' "$root" "$name"
  } >"$confdir/volumes/$name.toml"
}

volume_names() { local f; for f in "$confdir"/volumes/*.toml; do basename "$f" .toml; done; }

# A crash shows as an exit status above 128 or a kernel segfault line.
check_no_crash() {
  local status=$1 what=$2
  ((status < 128)) || fail "$what died of signal $((status - 128))"
  ! dmesg | grep -E 'cvfs\[[0-9]+\]: segfault' || fail "the kernel logged a cvfs segfault"
}

# ---- open --all / close --all, many rounds ----------------------------------

show_beside() {
  local runs=0 status
  while [[ ! -e $root/stop-show ]]; do
    status=0
    "$cvfs_bin" -c "$confdir" show >/dev/null 2>>"$root/show.err" || status=$?
    ((status < 128)) || echo "show died of signal $((status - 128))" >>"$root/show.crashes"
    runs=$((runs + 1))
  done
  echo "$runs" >"$root/show.runs"
}

case_parallel_rounds() {
  local rounds=${1:-20} i name provider fs integrity status start open_ms=() close_ms=()
  local fss=(ext4 ext4 vfat ext4 ext4 none ext4 ext4)
  for i in $(seq -w 0 15); do
    provider=$([[ $((10#$i % 2)) == 0 ]] && echo otp || echo keyfile)
    integrity=$([[ $((10#$i % 4)) == 1 || $((10#$i % 4)) == 2 ]] && echo hmac-sha256 || echo none)
    fs=${fss[$((10#$i % 8))]}
    volume "v$i" "$provider" "$fs" "$integrity" "$([[ $integrity == none ]] && echo 48M || echo 32M)"
  done
  for name in $(volume_names); do cvfs init --yes "$name" >/dev/null; done
  rm -f "$root/stop-show" "$root/show.crashes"
  show_beside &
  local show_pid=$!
  for ((r = 1; r <= rounds; r++)); do
    start=$(date +%s%N); status=0
    "$cvfs_bin" -c "$confdir" open --all >"$root/open.out" 2>&1 || status=$?
    open_ms+=($(( ($(date +%s%N) - start) / 1000000 )))
    check_no_crash "$status" "open --all (round $r)"
    ((status == 0)) || { cat "$root/open.out" >&2; fail "open --all failed in round $r"; }
    for name in $(volume_names); do
      [[ -b /dev/mapper/$name ]] || fail "round $r: $name is not open"
      if grep -q '^\[mount\]' "$confdir/volumes/$name.toml"; then
        findmnt "$root/mnt/$name" >/dev/null || fail "round $r: $name is not mounted"
      fi
    done
    start=$(date +%s%N); status=0
    "$cvfs_bin" -c "$confdir" close --all >"$root/close.out" 2>&1 || status=$?
    close_ms+=($(( ($(date +%s%N) - start) / 1000000 )))
    check_no_crash "$status" "close --all (round $r)"
    ((status == 0)) || { cat "$root/close.out" >&2; fail "close --all failed in round $r"; }
    for name in $(volume_names); do check_nothing_left "$name"; done
    echo "round $r: open --all ${open_ms[-1]} ms, close --all ${close_ms[-1]} ms"
  done
  touch "$root/stop-show"; wait "$show_pid"
  [[ ! -s $root/show.crashes ]] || { cat "$root/show.crashes" >&2; fail "cvfs show crashed"; }
  echo "cvfs show ran $(cat "$root/show.runs") times beside them, no crash"
  cvfs show | tee "$root/show.final"
  for name in $(volume_names); do
    grep -qE "^$name .* ready *$" "$root/show.final" || fail "$name is not 'ready' at the end"
  done
  [[ -z $(dmsetup ls --target crypt 2>/dev/null | grep -v 'No devices') ]] || fail "crypt mappings are left"
}

# ---- half-made mappings ------------------------------------------------------

# The dm UUID libcryptsetup gives the mapping of the header on FILE.
dm_uuid_of() { echo "CRYPT-LUKS2-$(cryptsetup luksUUID "$1" | tr -d -)-$2"; }

case_half_made() {
  local name=hm status output
  volume "$name" keyfile ext4 none 48M
  cvfs init --yes "$name"
  # Only an inactive table, as a crash between loading and resuming leaves.
  dmsetup create "$name" --notable --uuid "$(dm_uuid_of "$root/$name.img" "$name")"
  dmsetup load "$name" --table "0 8 error"
  output=$("$cvfs_bin" -c "$confdir" show 2>&1 || true); echo "$output"
  grep -q "half made" <<<"$output" || fail "show does not call the mapping half made"
  ! grep -q "dm_mod" <<<"$output" || fail "show blames dm_mod"
  cvfs open "$name"
  findmnt "$root/mnt/$name" >/dev/null || fail "$name was not mounted after the recovery"
  cvfs close "$name"
  check_nothing_left "$name"
  # The same left for close.
  dmsetup create "$name" --notable --uuid "$(dm_uuid_of "$root/$name.img" "$name")"
  cvfs close "$name"
  check_nothing_left "$name"
  # A whole mapping whose node is missing.
  cvfs open "$name"; umount "$root/mnt/$name"
  rm "/dev/mapper/$name"
  cvfs open "$name"
  [[ -b /dev/mapper/$name ]] && findmnt "$root/mnt/$name" >/dev/null || fail "the mapping was not remade"
  cvfs close "$name"
  check_nothing_left "$name"
  # Made for another header: refused with a hint, and left alone.
  dmsetup create "$name" --notable --uuid "CRYPT-LUKS2-0123456789abcdef0123456789abcdef-$name"
  status=0; output=$("$cvfs_bin" -c "$confdir" open "$name" 2>&1) || status=$?
  echo "$output"
  ((status != 0)) || fail "open used a foreign half-made mapping"
  grep -q "dmsetup remove $name" <<<"$output" || fail "the refusal gives no hint"
  dmsetup info "$name" >/dev/null || fail "the foreign mapping was removed"
  dmsetup remove "$name"
  check_nothing_left "$name"
}

# ---- no core dumps -----------------------------------------------------------

case_no_core_dump() {
  local name=cd pattern pid status=0 limit i
  volume "$name" keyfile ext4 hmac-sha256 64M
  mkdir -p "$root/cores"
  pattern=$(cat /proc/sys/kernel/core_pattern)
  echo "$root/cores/core.%e.%p" >/proc/sys/kernel/core_pattern
  ulimit -c unlimited
  # The control: a dumpable program killed the same way leaves a core.
  sleep 30 & pid=$!
  sleep 0.5; kill -SEGV "$pid"; wait "$pid" || status=$?
  ((status == 139)) || fail "the control did not die of SIGSEGV (exit $status)"
  ls "$root"/cores/core.* >/dev/null 2>&1 || fail "the control left no core: the check cannot see cores"
  rm -f "$root"/cores/core.*
  # cvfs, while it writes the freshly activated integrity volume: the volume
  # key is in libcryptsetup's memory then.
  "$cvfs_bin" -c "$confdir" init --yes "$name" >"$root/init.out" 2>&1 & pid=$!
  i=0
  while [[ ! -b /dev/mapper/$name ]] && ((i++ < 300)); do sleep 0.1; done
  sleep 1
  kill -0 "$pid" 2>/dev/null || { cat "$root/init.out"; fail "init ended before the signal"; }
  [[ -b /dev/mapper/$name ]] || fail "the volume was not activated within 30 s"
  limit=$(awk '/^Max core file size/ { print $5, $6 }' "/proc/$pid/limits")
  echo "core limit of the running cvfs: $limit"
  [[ $limit == "0 0" ]] || fail "cvfs runs with a core limit of $limit"
  status=0; kill -SEGV "$pid"; wait "$pid" || status=$?
  cat "$root/init.out"
  ((status == 139)) || fail "cvfs did not die of SIGSEGV (exit $status)"
  sleep 1
  if ls "$root"/cores/core.* 2>/dev/null; then fail "cvfs left a core file"; fi
  echo "no core file after SIGSEGV during activation"
  echo "$pattern" >/proc/sys/kernel/core_pattern
  cvfs init --yes "$name" >/dev/null  # finishes the interrupted init
  cvfs open "$name"; cvfs close "$name"
  check_nothing_left "$name"
}

# ---- Ctrl-C during a long step -----------------------------------------------

case_cancel_init() {
  local size=${1:-2G} name=ci pid start elapsed status=0 output
  volume "$name" keyfile ext4 hmac-sha256 "$size"
  "$cvfs_bin" -c "$confdir" init --yes "$name" >"$root/init.out" 2>&1 &
  pid=$!
  sleep 2
  kill -0 "$pid" 2>/dev/null || { cat "$root/init.out"; fail "init finished within 2 s: nothing long to stop"; }
  start=$(date +%s%N)
  kill -INT "$pid"
  wait "$pid" || status=$?
  elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
  cat "$root/init.out"
  echo "init stopped $elapsed ms after SIGINT (exit $status)"
  ((status != 0 && status < 128)) || fail "init did not stop with an error (exit $status)"
  ((elapsed < 5000)) || fail "init took $elapsed ms to stop"
  [[ ! -e /dev/mapper/$name && ! -e /dev/mapper/${name}_dif ]] || fail "a mapping is left"
  ! dmsetup info "$name" >/dev/null 2>&1 || fail "device-mapper still has $name"
  output=$("$cvfs_bin" -c "$confdir" show "$name" 2>&1 || true); echo "$output"
  grep -q "init interrupted" <<<"$output" || fail "show does not say 'init interrupted'"
  cvfs init --yes "$name"
  cvfs open "$name"; cvfs close "$name"
  check_nothing_left "$name"
}

setup
while [[ $# -gt 0 ]]; do
  case=$1; shift; args=()
  while [[ $# -gt 0 && $1 != -- ]]; do args+=("$1"); shift; done
  [[ $# -eq 0 ]] || shift
  echo "== $case ${args[*]}"
  start=$SECONDS
  "case_$case" "${args[@]}"
  echo "== $case passed in $((SECONDS - start)) s"
done
rm -rf "$root"
echo "concurrency: all cases passed"
