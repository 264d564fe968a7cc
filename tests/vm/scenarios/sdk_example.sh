#!/usr/bin/env bash
# A volume whose key comes from the SDK's example vendor plugin
# (sdk/examples/seed-key), built out of the tree against the installed SDK
# and registered through plugins.d (tests/packaging/sdk_example_out_of_tree.sh
# made EXAMPLE_OUT). In the guest: init, open, write, close, reopen and read
# back; a different seed is refused and leaves no mapping; a seed others may
# read is refused with what to do; the right seed opens it again.
#
# Usage: scenarios/sdk_example.sh BUILD_DIR EXAMPLE_OUT
set -Eeuo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 BUILD_DIR EXAMPLE_OUT" >&2; exit 2; }
build_dir=$(realpath "$1") example=$(realpath "$2")
readonly root=/tmp/cvfs-sdk-example
readonly conf=$root/conf
trap 'echo "sdk_example: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cvfs() { printf '$ cvfs %s\n' "$*"; "$build_dir/bin/cvfs" -c "$conf" "$@"; }
fail() { echo "sdk_example: FAILED: $*" >&2; exit 1; }

rm -rf "$root"
mkdir -p "$conf/volumes" "$conf/plugins.d" "$root/run"
printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" >"$conf/cvfs.toml"
cp "$example/conf/plugins.d/example-seed.toml" "$conf/plugins.d/"
(umask 077 && head -c 64 /dev/urandom >"$root/seed" && head -c 64 /dev/urandom >"$root/other-seed")
cat >"$conf/volumes/seeded.toml" <<TOML
volume = "seeded"
dev = "$root/seeded.img"
makefs = "ext4"

[encrypt.example-seed]
seed_file = "$root/seed"
context = "vm-test"

[device]
size = "96M"

[mount]
point = "$root/mnt"
TOML

{ cvfs plugins || true; } | grep -E '^example-seed +key-provider'
cvfs init --yes seeded
cvfs open seeded
findmnt -no FSTYPE "$root/mnt" | grep -qx ext4
echo "kept by example-seed" >"$root/mnt/file.txt"
cvfs close seeded
[[ ! -e /dev/mapper/seeded ]]
cvfs open seeded
[[ $(cat "$root/mnt/file.txt") == "kept by example-seed" ]]
cvfs close seeded

echo "-- another machine's seed"
cp "$root/seed" "$root/seed.good"
cp "$root/other-seed" "$root/seed"
status=0
cvfs open seeded >"$root/out" 2>&1 || status=$?
cat "$root/out"
[[ $status -ne 0 ]] || fail "a different seed opened the volume"
[[ ! -e /dev/mapper/seeded ]] || fail "a refused open left a mapping"
[[ -z $(losetup -j "$root/seeded.img" -n) ]] || fail "a refused open left the loop device"

echo "-- a seed others may read"
cp "$root/seed.good" "$root/seed"
chmod 644 "$root/seed"
status=0
cvfs open seeded >"$root/out" 2>&1 || status=$?
cat "$root/out"
[[ $status -ne 0 ]] || fail "a world-readable seed was used"
grep -q "readable by root only" "$root/out" || fail "no hint about the seed's mode"

echo "-- the right seed again"
chmod 400 "$root/seed"
cvfs open seeded
[[ $(cat "$root/mnt/file.txt") == "kept by example-seed" ]]
cvfs close seeded
rm -rf "$root"
echo "sdk_example: passed"
