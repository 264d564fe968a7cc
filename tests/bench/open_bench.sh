#!/usr/bin/env bash
# Benchmarks of opening volumes, run in the VM rig (a real kernel with
# dm-crypt), in one run; prints figures, asserts no time:
#   1. open latency of a machine-key volume (provider keyfile: PBKDF2 with
#      the minimal cost) with `cvfs open`, beside `cryptsetup open` of the
#      same volume (the kernel's floor plus cryptsetup's own work) and of a
#      volume made with cryptsetup's defaults (argon2id);
#   2. peak memory of `cvfs open`, beside `cryptsetup open` of both;
#   3. OTP + integrity (ext4, HMAC-SHA256): time from `cvfs open` to a
#      mounted, usable filesystem at 1 GiB and 64 GiB (sparse block files),
#      beside what writing a whole 256 MiB device costs (a full wipe).
#
# Usage: open_bench.sh BUILD_DIR [REPETITIONS]
set -Eeuo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 BUILD_DIR [REPETITIONS]" >&2; exit 2; }
build_dir=$(realpath "$1")
reps=${2:-7}
readonly root=/tmp/cvfs-bench
readonly confdir=$root/conf
cvfs_bin=$build_dir/cli/cvfs
measure_bin=$build_dir/tests/bench/measure

trap 'echo "open_bench: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cvfs() { "$cvfs_bin" -c "$confdir" "$@"; }

setup() {
  rm -rf "$root"
  mkdir -p "$confdir/volumes" "$root/run" "$root/keys" "$root/mnt"
  chmod 700 "$root/keys"
  printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" \
    >"$confdir/cvfs.toml"
}

# Runs COMMAND under `measure`; appends "wall_ms peak_kib" to FILE.
sample() {
  local file=$1; shift
  local report
  report=$("$measure_bin" "$@" 2>&1 >/dev/null | grep '^wall_ms=') || {
    echo "open_bench: failed: $*" >&2
    return 1
  }
  sed -E 's/wall_ms=([0-9.]+) peak_rss_kib=([0-9]+)/\1 \2/' <<<"$report" >>"$file"
}

# "median min max" of column COLUMN of FILE.
stats() {
  local file=$1 column=$2
  cut -d' ' -f"$column" "$file" | sort -g | awk '
    { v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          printf "%.1f %.1f %.1f", m, v[1], v[NR] }'
}

row() {
  local label=$1 file=$2
  read -r median low high <<<"$(stats "$file" 1)"
  read -r memory _ _ <<<"$(stats "$file" 2)"
  printf '%-52s %9s %9s %9s %10s\n' "$label" "$median" "$low" "$high" "$((${memory%.*} / 1024))"
}

# ---- 1 and 2: a machine-key volume, cvfs vs cryptsetup ------------------------

machine_volume() {
  printf 'volume = "machine"\ndev = "%s/machine.img"\nmakefs = "ext4"\n' "$root"
  printf '\n[encrypt.keyfile]\nkey_file = "%s/keys/machine.key"\n' "$root"
  printf '\n[device]\nsize = "256M"\n'
}

bench_machine_key() {
  machine_volume >"$confdir/volumes/machine.toml"
  cvfs init --yes machine >/dev/null
  cvfs open machine >/dev/null   # makes the filesystem once
  cvfs close machine >/dev/null
  for _ in $(seq "$reps"); do
    sample "$root/cvfs-open" "$cvfs_bin" -c "$confdir" open machine
    cvfs close machine >/dev/null
  done

  local loop
  loop=$(losetup -f --show "$root/machine.img")
  for _ in $(seq "$reps"); do
    sample "$root/cryptsetup-pbkdf2" cryptsetup open --key-file "$root/keys/machine.key" "$loop" same
    cryptsetup close same
  done
  losetup -d "$loop"

  truncate -s 256M "$root/defaults.img"
  loop=$(losetup -f --show "$root/defaults.img")
  cryptsetup luksFormat -q --type luks2 --sector-size 4096 --key-file "$root/keys/machine.key" "$loop"
  echo "volume made with cryptsetup's defaults: $(cryptsetup luksDump "$loop" | grep -E 'PBKDF:|Memory:' |
    tr -s ' \t' ' ' | tr '\n' ',')"
  for _ in $(seq "$reps"); do
    sample "$root/cryptsetup-argon2id" cryptsetup open --key-file "$root/keys/machine.key" "$loop" defaults
    cryptsetup close defaults
  done
  losetup -d "$loop"
}

# ---- 3: OTP + integrity at two sizes ----------------------------------------

otp_volume() {
  local name=$1 size=$2
  printf 'volume = "%s"\ndev = "%s/%s.img"\nmakefs = "ext4"\nintegrity = "hmac-sha256"\n' "$name" "$root" "$name"
  printf '\n[encrypt.otp]\n\n[device]\nsize = "%s"\n\n[mount]\npoint = "%s/mnt/%s"\n' "$size" "$root" "$name"
}

bench_otp_integrity() {
  local size name
  for size in 1G 64G; do
    name=otp-$size
    otp_volume "$name" "$size" >"$confdir/volumes/$name.toml"
    for _ in $(seq 3); do
      sample "$root/$name" "$cvfs_bin" -c "$confdir" open "$name"
      echo usable >"$root/mnt/$name/probe"  # the filesystem takes writes at once
      cvfs close "$name" >/dev/null
      rm -f "$root/$name.img"
    done
  done
  # For contrast: what the old way, a whole-device wipe, costs on 256 MiB.
  otp_volume wipe 256M >"$confdir/volumes/wipe.toml"
  cvfs open wipe >/dev/null
  umount "$root/mnt/wipe"
  sample "$root/wipe-256M" dd if=/dev/zero of=/dev/mapper/wipe bs=1M oflag=direct status=none \
    count=$(($(blockdev --getsize64 /dev/mapper/wipe) >> 20))
  cvfs close wipe >/dev/null
}

report() {
  echo
  echo "open_bench: figures (guest: $(nproc) vCPU under QEMU TCG, $reps runs; times in ms)"
  printf '%-52s %9s %9s %9s %10s\n' "what" "median" "min" "max" "peak MiB"
  row "cvfs open, machine key (keyfile, PBKDF2 minimal)" "$root/cvfs-open"
  row "cryptsetup open, same volume (the kernel's floor)" "$root/cryptsetup-pbkdf2"
  row "cryptsetup open, cryptsetup's defaults (argon2id)" "$root/cryptsetup-argon2id"
  row "cvfs open, OTP + integrity, 1 GiB, to mounted fs" "$root/otp-1G"
  row "cvfs open, OTP + integrity, 64 GiB, to mounted fs" "$root/otp-64G"
  row "(for contrast: writing all of a 256 MiB one)" "$root/wipe-256M"
}

setup
bench_machine_key
bench_otp_integrity
report
rm -rf "$root"
