#!/usr/bin/env bash
# Runs the README's demo (tests/vm/scenarios/demo.sh) against a build tree:
# directly on this machine when its kernel has device-mapper, otherwise in
# the VM rig (prepared on first use, cached in BUILD_DIR/vm-cache).
#
# Usage: demo.sh BUILD_DIR    (as root; build the cvfs and cvfs_plugins targets first)
set -euo pipefail

RIG_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly RIG_DIR

# A /dev/mapper/control node alone proves nothing (it can exist without the
# driver): the kernel must list device-mapper among its misc devices.
host_has_device_mapper() {
  modprobe -q dm_mod 2>/dev/null || true
  modprobe -q dm_crypt 2>/dev/null || true
  grep -qw device-mapper /proc/misc && [[ -c /dev/mapper/control ]]
}

main() {
  [[ $# -eq 1 ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
  local build_dir source_dir
  build_dir=$(realpath "$1")
  source_dir=$(cd "$RIG_DIR/../.." && pwd)
  [[ -x $build_dir/bin/cvfs ]] ||
    { echo "demo: no $build_dir/bin/cvfs: cmake --build $build_dir --target cvfs cvfs_plugins" >&2; exit 1; }
  if host_has_device_mapper; then
    echo "demo: this kernel has device-mapper; running here"
    exec "$RIG_DIR/scenarios/demo.sh" "$source_dir" "$build_dir"
  fi
  echo "demo: this kernel has no device-mapper; running in a QEMU guest"
  local cache=${CVFS_VM_CACHE:-$build_dir/vm-cache}
  "$RIG_DIR/prepare.sh" "$cache"
  exec "$RIG_DIR/run.sh" --stream --mem 2048 --timeout 900 \
    "$cache" "$RIG_DIR/scenarios/demo.sh" "$source_dir" "$build_dir"
}

main "$@"
