#!/usr/bin/env bash
# What the rollback counter adds to an open (docs/rollback.md; the goal is
# under 10%), run in the VM rig with the guest's TPM (swtpm behind
# /dev/tpmrm0): `cvfs open` of a keyfile ext4 volume without a counter beside
# the same kind of volume with [rollback] counter = "tpm" (the counter read,
# the header write and the NV increment). Prints figures, asserts no time.
# Each side is opened once untimed, then ROUNDS rounds of one sample each, the
# order reversed in every other round so a slow spell of the shared machine
# hits both; each figure is median, minimum and maximum, and so is the ratio,
# taken round by round.
#
# Usage: rollback_open_bench.sh BUILD_DIR [ROUNDS]   (default 9)
set -Eeuo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 BUILD_DIR [ROUNDS]" >&2; exit 2; }
build_dir=$(realpath "$1")
rounds=${2:-9}
readonly root=/tmp/cvfs-rollback-bench confdir=/tmp/cvfs-rollback-bench/conf
cvfs_bin=$build_dir/bin/cvfs
measure_bin=$build_dir/tests/bench/measure

trap 'echo "rollback_open_bench: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cvfs() { "$cvfs_bin" -c "$confdir" "$@"; }

[[ -c /dev/tpmrm0 ]] || { echo "rollback_open_bench: no /dev/tpmrm0 (run.sh --tpm)" >&2; exit 1; }
rm -rf "$root"
mkdir -p "$confdir/volumes" "$root/run" "$root/keys" "$root/samples"
chmod 700 "$root/keys"
printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" >"$confdir/cvfs.toml"

# volume NAME [COUNTER]: a keyfile ext4 volume in a 64 MiB block file.
volume() {
  printf 'volume = "%s"\ndev = "%s/%s.img"\nmakefs = "ext4"\n\n[encrypt.keyfile]\nkey_file = "%s/keys/%s.key"\n' \
    "$1" "$root" "$1" "$root" "$1"
  printf '\n[device]\nsize = "64M"\n'
  [[ -z ${2:-} ]] || printf '\n[rollback]\ncounter = "%s"\n' "$2"
}
volume plain >"$confdir/volumes/plain.toml"
volume counted tpm >"$confdir/volumes/counted.toml"
for name in plain counted; do cvfs init --yes "$name" >/dev/null; done

# One timed open of volume NAME (its wall time in ms appended to samples/NAME), then a close.
side() {
  local name=$1 file=$2 report
  report=$("$measure_bin" "$cvfs_bin" -c "$confdir" open "$name" 2>&1 >/dev/null | grep '^wall_ms=')
  sed -E 's/wall_ms=([0-9.]+).*/\1/' <<<"$report" >>"$file"
  cvfs close "$name" >/dev/null
}

side plain "$root/samples/warm-up"
side counted "$root/samples/warm-up"
for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then order=(plain counted); else order=(counted plain); fi
  for name in "${order[@]}"; do side "$name" "$root/samples/$name"; done
done

# "median min max" of the numbers in FILE.
stats() {
  sort -g "$1" | awk '{ v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %.2f %.2f", m, v[1], v[NR] }'
}
paste -d' ' "$root/samples/counted" "$root/samples/plain" | awk '{ printf "%.4f\n", $1 / $2 }' >"$root/samples/ratio"

printf '%-44s %9s %9s %9s\n' "cvfs open, $rounds rounds" median min max
read -r m lo hi <<<"$(stats "$root/samples/plain")"
printf '%-44s %9.1f %9.1f %9.1f  ms\n' "keyfile volume, counter none" "$m" "$lo" "$hi"
read -r m lo hi <<<"$(stats "$root/samples/counted")"
printf '%-44s %9.1f %9.1f %9.1f  ms\n' "keyfile volume, counter tpm (swtpm)" "$m" "$lo" "$hi"
read -r m lo hi <<<"$(stats "$root/samples/ratio")"
printf '%-44s %9.3f %9.3f %9.3f\n' "  tpm / none, per round" "$m" "$lo" "$hi"
rm -rf "$root"
