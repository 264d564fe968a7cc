#!/usr/bin/env bash
# Benchmark (figures only, no time is asserted): `cvfs open --all` of 8
# volumes against `cvfs open` of one, in the VM rig. All volumes are alike
# (keyfile, ext4, mounted, each on its own block file). After a warm-up
# round, the two sides alternate for ROUNDS rounds (one, eight, one, ...),
# each open followed by a close, so both see the same state of the machine.
# Prints the median, minimum and maximum of each side (milliseconds, wall
# time of the whole command) and the ratio of the medians; the goal is that
# opening eight volumes at once costs at most twice one.
#
# Usage: open_all_bench.sh BUILD_DIR [ROUNDS]
set -Eeuo pipefail

build_dir=$(realpath "$1"); rounds=${2:-7}
readonly root=/tmp/cvfs-open-all-bench
readonly one=$root/one eight=$root/eight
cvfs_bin=$build_dir/bin/cvfs
trap 'echo "open_all_bench: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR

# confdir DIR COUNT PREFIX: a configuration with COUNT keyfile volumes.
make_confdir() {
  local dir=$1 count=$2 prefix=$3 i
  mkdir -p "$dir/volumes" "$dir/run" "$dir/keys" "$dir/mnt"
  chmod 700 "$dir/keys"
  printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$dir" >"$dir/cvfs.toml"
  for ((i = 0; i < count; i++)); do
    printf 'volume = "%s%d"\ndev = "%s/%s%d.img"\nauto_open = true\nmakefs = "ext4"\n\n[encrypt.keyfile]\nkey_file = "%s/keys/%d.key"\n\n[device]\nsize = "64M"\n\n[mount]\npoint = "%s/mnt/%d"\n' \
      "$prefix" "$i" "$dir" "$prefix" "$i" "$dir" "$i" "$dir" "$i" >"$dir/volumes/$prefix$i.toml"
    "$cvfs_bin" -c "$dir" init --yes "$prefix$i" >/dev/null
  done
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# open_close DIR: prints the wall time of `open --all` in ms, then closes.
open_close() {
  local start end
  start=$(now_ms)
  "$cvfs_bin" -c "$1" open --all >/dev/null
  end=$(now_ms)
  "$cvfs_bin" -c "$1" close --all >/dev/null
  echo $((end - start))
}

# stats NAME VALUES...: "NAME: median M ms, min A ms, max B ms (n runs)"
stats() {
  local name=$1; shift
  local sorted; sorted=($(printf '%s\n' "$@" | sort -n))
  local n=${#sorted[@]}
  echo "$name: median ${sorted[$((n / 2))]} ms, min ${sorted[0]} ms, max ${sorted[$((n - 1))]} ms ($n runs)"
}
median() { local s; s=($(printf '%s\n' "$@" | sort -n)); echo "${s[$((${#s[@]} / 2))]}"; }

rm -rf "$root"
make_confdir "$one" 1 s
make_confdir "$eight" 8 p
open_close "$one" >/dev/null; open_close "$eight" >/dev/null  # warm-up
ones=() eights=()
for ((r = 0; r < rounds; r++)); do
  ones+=("$(open_close "$one")")
  eights+=("$(open_close "$eight")")
done
echo "== cvfs open --all: 8 volumes against 1 (keyfile, ext4, mounted, 64 MiB block files)"
stats "open of 1 volume      " "${ones[@]}"
stats "open --all, 8 volumes " "${eights[@]}"
m1=$(median "${ones[@]}") m8=$(median "${eights[@]}")
echo "ratio of the medians (8 volumes / 1): $(awk -v a="$m8" -v b="$m1" 'BEGIN { printf "%.2f", a / b }') (goal: at most 2)"
rm -rf "$root"
