#!/usr/bin/env bash
# Benchmarks of opening volumes, run in the VM rig (a real kernel with
# dm-crypt), in one run; prints figures, asserts no time:
#   1. open latency of a machine-key volume (provider keyfile: PBKDF2 with
#      the minimal cost) with `cvfs open`, beside `cryptsetup open` of the
#      same volume (the kernel's floor plus cryptsetup's own work) and of a
#      volume made with cryptsetup's defaults (argon2id); all three open the
#      block file itself, so each attaches its own loop device;
#   2. peak memory of each of them;
#   3. OTP + integrity (ext4, HMAC-SHA256): time from `cvfs open` to a
#      mounted, usable filesystem at 1 GiB and 64 GiB (sparse block files),
#      beside what writing a whole 256 MiB device costs (a full wipe).
# The sides of each comparison run alternately: one untimed warm-up of every
# side, then ROUNDS rounds of one sample each (in forward order in odd rounds,
# backward in even ones), so a slow spell of the shared machine hits both
# sides alike. Each figure is printed as median, minimum and maximum, and so
# is each ratio, computed round by round from the samples of one round.
#
# The block files live on SCRATCH_DISK (run.sh --disk: an empty disk that
# gets an ext4 here), as the guest's /tmp is memory, far too small for the
# room a sparse 64 GiB block file must have.
#
# Usage: open_bench.sh BUILD_DIR SCRATCH_DISK [ROUNDS [OTP_ROUNDS]]   (defaults 5 and 3)
set -Eeuo pipefail

[[ $# -ge 2 ]] || { echo "usage: $0 BUILD_DIR SCRATCH_DISK [ROUNDS [OTP_ROUNDS]]" >&2; exit 2; }
build_dir=$(realpath "$1")
scratch_disk=$2
rounds=${3:-5}
otp_rounds=${4:-3}
readonly root=/tmp/cvfs-bench
readonly confdir=$root/conf
readonly key=$root/keys/machine.key
cvfs_bin=$build_dir/bin/cvfs
measure_bin=$build_dir/tests/bench/measure

trap 'echo "open_bench: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cvfs() { "$cvfs_bin" -c "$confdir" "$@"; }

setup() {
  [[ -b $scratch_disk && -z $(blkid -p "$scratch_disk" || true) ]] ||
    { echo "open_bench: $scratch_disk is not an empty disk (run.sh --disk)" >&2; return 1; }
  rm -rf "$root"
  mkdir -p "$root"
  # No journal and lazy inode tables: the benchmark's writes are the volumes'.
  mkfs.ext4 -q -m 0 -O ^has_journal -E lazy_itable_init=1,nodiscard "$scratch_disk"
  mount -o noinit_itable "$scratch_disk" "$root"
  mkdir -p "$confdir/volumes" "$root/run" "$root/keys" "$root/mnt" "$root/samples"
  chmod 700 "$root/keys"
  printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" \
    >"$confdir/cvfs.toml"
}

# Runs COMMAND under `measure`; appends "wall_ms peak_kib" to FILE.
sample() {
  local file=$1; shift
  local output report
  output=$("$measure_bin" "$@" 2>&1 >/dev/null) && report=$(grep '^wall_ms=' <<<"$output") || {
    printf 'open_bench: failed: %s\n%s\n' "$*" "$output" >&2
    return 1
  }
  sed -E 's/wall_ms=([0-9.]+) peak_rss_kib=([0-9]+)/\1 \2/' <<<"$report" >>"$file"
}

# Runs side_NAME for each NAME once as a warm-up (samples thrown away), then
# ROUNDS rounds of all of them, alternating their order; NAME's samples go to
# $root/samples/NAME, one line per round.
alternate() {
  local rounds=$1; shift
  local side round i order
  for side in "$@"; do "side_$side" "$root/samples/warm-up"; done
  for ((round = 1; round <= rounds; round++)); do
    order=("$@")
    if ((round % 2 == 0)); then
      order=()
      for ((i = $#; i >= 1; i--)); do order+=("${!i}"); done
    fi
    for side in "${order[@]}"; do "side_$side" "$root/samples/$side"; done
  done
}

# ---- the figures ---------------------------------------------------------------

# "median min max" of column COLUMN of FILE.
stats() {
  local file=$1 column=$2
  cut -d' ' -f"$column" "$file" | sort -g | awk '
    { v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          printf "%.2f %.2f %.2f", m, v[1], v[NR] }'
}

# Prints the times of side SIDE (ms) and, unless told "no", its peak memory.
row() {
  local label=$1 side=$2 memory=${3:-yes} median low high peak
  read -r median low high <<<"$(stats "$root/samples/$side" 1)"
  peak=-
  [[ $memory == no ]] || { read -r peak _ _ <<<"$(stats "$root/samples/$side" 2)"; peak=$((${peak%.*} / 1024)); }
  printf '%-58s %9.0f %9.0f %9.0f %9s\n' "$label" "$median" "$low" "$high" "$peak"
}

# Prints the per-round ratio of side A's time to side B's.
ratio_row() {
  local label=$1 a=$2 b=$3 median low high
  paste -d' ' "$root/samples/$a" "$root/samples/$b" | awk '{ printf "%.4f\n", $1 / $3 }' \
    >"$root/samples/$a-per-$b"
  read -r median low high <<<"$(stats "$root/samples/$a-per-$b" 1)"
  printf '%-58s %9.2f %9.2f %9.2f %9s\n' "  $label" "$median" "$low" "$high" ""
}

# ---- 1 and 2: a machine-key volume, cvfs vs cryptsetup ------------------------

machine_volume() {
  printf 'volume = "machine"\ndev = "%s/machine.img"\nmakefs = "ext4"\n' "$root"
  printf '\n[encrypt.keyfile]\nkey_file = "%s"\n' "$key"
  printf '\n[device]\nsize = "256M"\n'
}

side_cvfs() {
  sample "$1" "$cvfs_bin" -c "$confdir" open machine
  cvfs close machine >/dev/null
}

side_same() {
  sample "$1" cryptsetup open --key-file "$key" "$root/machine.img" same
  cryptsetup close same
}

side_defaults() {
  sample "$1" cryptsetup open --key-file "$key" "$root/defaults.img" defaults
  cryptsetup close defaults
}

bench_machine_key() {
  machine_volume >"$confdir/volumes/machine.toml"
  cvfs init --yes machine >/dev/null
  cvfs open machine >/dev/null   # makes the filesystem once
  cvfs close machine >/dev/null
  truncate -s 256M "$root/defaults.img"
  cryptsetup luksFormat -q --type luks2 --sector-size 4096 --key-file "$key" "$root/defaults.img"
  echo "volume made with cryptsetup's defaults: $(cryptsetup luksDump "$root/defaults.img" |
    grep -E 'PBKDF:|Memory:' | tr -s ' \t' ' ' | tr '\n' ',')"
  alternate "$rounds" cvfs same defaults
}

# ---- 3: OTP + integrity at two sizes ----------------------------------------

otp_volume() {
  local name=$1 size=$2
  printf 'volume = "%s"\ndev = "%s/%s.img"\nmakefs = "ext4"\nintegrity = "hmac-sha256"\n' "$name" "$root" "$name"
  printf '\n[encrypt.otp]\n\n[device]\nsize = "%s"\n\n[mount]\npoint = "%s/mnt/%s"\n' "$size" "$root" "$name"
}

# One open of a temporary volume to a usable filesystem; the block file goes
# afterwards (the guest's /tmp is memory).
otp_open() {
  local name=$1 file=$2
  sample "$file" "$cvfs_bin" -c "$confdir" open "$name"
  echo usable >"$root/mnt/$name/probe"  # the filesystem takes writes at once
  cvfs close "$name" >/dev/null
  rm -f "$root/$name.img"
}

side_otp_1g() { otp_open otp-1G "$1"; }
side_otp_64g() { otp_open otp-64G "$1"; }

# For contrast: what the old way, a whole-device wipe, costs on 256 MiB.
side_wipe() {
  cvfs open wipe >/dev/null
  umount "$root/mnt/wipe"
  sample "$1" dd if=/dev/zero of=/dev/mapper/wipe bs=1M oflag=direct status=none \
    count=$(($(blockdev --getsize64 /dev/mapper/wipe) >> 20))
  cvfs close wipe >/dev/null
  rm -f "$root/wipe.img"
}

bench_otp_integrity() {
  otp_volume otp-1G 1G >"$confdir/volumes/otp-1G.toml"
  otp_volume otp-64G 64G >"$confdir/volumes/otp-64G.toml"
  otp_volume wipe 256M >"$confdir/volumes/wipe.toml"
  alternate "$otp_rounds" otp_1g otp_64g wipe
}

report() {
  echo
  echo "open_bench: figures (guest: $(nproc) vCPU under QEMU TCG; after a warm-up of every side,"
  echo "  sides alternating; $rounds rounds for the machine key, $otp_rounds for OTP + integrity;"
  echo "  times in ms, ratios per round)"
  printf '%-58s %9s %9s %9s %9s\n' "what" "median" "min" "max" "peak MiB"
  row "cvfs open, machine key (keyfile, PBKDF2 minimal)" cvfs
  row "cryptsetup open, same volume (the kernel's floor)" same
  row "cryptsetup open, cryptsetup's defaults (argon2id)" defaults
  ratio_row "cvfs open / cryptsetup open, same volume" cvfs same
  ratio_row "cvfs open / cryptsetup open, defaults" cvfs defaults
  row "cvfs open, OTP + integrity, 1 GiB, to mounted fs" otp_1g
  row "cvfs open, OTP + integrity, 64 GiB, to mounted fs" otp_64g
  row "(for contrast: writing all of a 256 MiB one)" wipe no
  ratio_row "64 GiB open / 1 GiB open" otp_64g otp_1g
  ratio_row "writing all of 256 MiB / 1 GiB open" wipe otp_1g
}

setup
bench_machine_key
bench_otp_integrity
report
umount "$root"
rm -rf "$root"
