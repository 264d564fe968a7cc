#!/usr/bin/env bash
# Benchmark (figures only, no time is asserted): what `cvfs show` costs per
# volume, in the VM rig (real block files on a real disk, the device-mapper
# lookups of a real kernel). COUNT persistent volumes (keyfile, no
# filesystem, so init needs no mapping), each on its own block file on
# SCRATCH_DISK (run.sh --disk; an ext4 here, so reads that bypass the page
# cache reach the disk as they would on a server). `cvfs show` of all of
# them and `cvfs show` of one alternate over ROUNDS rounds after a warm-up of
# each; every run must list each volume as ready. Prints the median, minimum
# and maximum of each side (ms, wall time of the whole command), and the
# per-volume cost computed round by round: (all - one) / (COUNT - 1). The
# goal is well under 1 ms per volume on real hardware.
#
# Usage: show_bench.sh BUILD_DIR SCRATCH_DISK [COUNT [ROUNDS]]   (defaults 100 and 7)
set -Eeuo pipefail

[[ $# -ge 2 ]] || { echo "usage: $0 BUILD_DIR SCRATCH_DISK [COUNT [ROUNDS]]" >&2; exit 2; }
build_dir=$(realpath "$1")
scratch_disk=$2
count=${3:-100}
rounds=${4:-7}
readonly root=/tmp/cvfs-show-bench
readonly confdir=$root/conf
cvfs_bin=$build_dir/bin/cvfs
measure_bin=$build_dir/tests/bench/measure
trap 'echo "show_bench: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cvfs() { "$cvfs_bin" -c "$confdir" "$@"; }

setup() {
  local i name
  [[ -b $scratch_disk && -z $(blkid -p "$scratch_disk" || true) ]] ||
    { echo "show_bench: $scratch_disk is not an empty disk (run.sh --disk)" >&2; return 1; }
  rm -rf "$root"
  mkdir -p "$root"
  mkfs.ext4 -q -m 0 -O ^has_journal -E lazy_itable_init=1,nodiscard "$scratch_disk"
  mount -o noinit_itable "$scratch_disk" "$root"
  mkdir -p "$confdir/volumes" "$root/run" "$root/keys" "$root/samples"
  chmod 700 "$root/keys"
  printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" \
    >"$confdir/cvfs.toml"
  for ((i = 0; i < count; i++)); do
    name=$(printf 'v%03d' "$i")
    (umask 077 && head -c 64 /dev/urandom >"$root/keys/$name.key")
    printf 'volume = "%s"\ndev = "%s/%s.img"\n\n[encrypt.keyfile]\nkey_file = "%s/keys/%s.key"\n\n[device]\nsize = "20M"\n' \
      "$name" "$root" "$name" "$root" "$name" >"$confdir/volumes/$name.toml"
    cvfs init --yes "$name" >/dev/null
  done
}

# side FILE EXPECTED ARGS...: one `cvfs show ARGS` under `measure`, its wall
# time appended to FILE; it must list EXPECTED volumes, each ready.
side() {
  local file=$1 expected=$2; shift 2
  local output timing ready
  timing=$("$measure_bin" "$cvfs_bin" -c "$confdir" show "$@" 2>&1 >"$root/show.out") ||
    { echo "show_bench: cvfs show $* failed: $timing" >&2; cat "$root/show.out" >&2; return 1; }
  ready=$(grep -cE '^v[0-9]{3} .* ready$' "$root/show.out" || true)
  [[ $ready == "$expected" ]] ||
    { echo "show_bench: cvfs show $* lists $ready ready volumes, not $expected" >&2; cat "$root/show.out" >&2; return 1; }
  output=$(grep '^wall_ms=' <<<"$timing")
  sed -E 's/wall_ms=([0-9.]+) .*/\1/' <<<"$output" >>"$file"
}

side_all() { side "$1" "$count"; }
side_one() { side "$1" 1 v000; }

# "median min max" of FILE's numbers.
stats() {
  sort -g "$1" | awk '{ v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          printf "%.2f %.2f %.2f", m, v[1], v[NR] }'
}

setup
side_all "$root/samples/warm-up"; side_one "$root/samples/warm-up"
for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then side_all "$root/samples/all"; side_one "$root/samples/one"
  else side_one "$root/samples/one"; side_all "$root/samples/all"; fi
done
paste -d' ' "$root/samples/all" "$root/samples/one" |
  awk -v n="$count" '{ printf "%.4f\n", ($1 - $2) / (n - 1) }' >"$root/samples/per-volume"

echo
echo "show_bench: figures (guest: $(nproc) vCPU under QEMU TCG; $count persistent volumes, block files on"
echo "  an ext4 disk; after a warm-up of each side, sides alternating over $rounds rounds; ms)"
printf '%-52s %9s %9s %9s\n' "what" "median" "min" "max"
read -r m lo hi <<<"$(stats "$root/samples/all")"
printf '%-52s %9.1f %9.1f %9.1f\n' "cvfs show, all $count volumes" "$m" "$lo" "$hi"
read -r m lo hi <<<"$(stats "$root/samples/one")"
printf '%-52s %9.1f %9.1f %9.1f\n' "cvfs show, 1 volume" "$m" "$lo" "$hi"
read -r m lo hi <<<"$(stats "$root/samples/per-volume")"
printf '%-52s %9.2f %9.2f %9.2f\n' "  per volume, per round: (all - one) / $((count - 1))" "$m" "$lo" "$hi"
umount "$root"
rm -rf "$root"
