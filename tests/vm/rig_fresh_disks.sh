#!/usr/bin/env bash
# A test of the VM rig itself: a scenario that inits a volume on its NVMe
# disk (scenarios/rig_fresh_disk.sh) must pass every time it runs in the
# same build tree, because run.sh gives each run a fresh disk; and a run's
# folder (disk images, share) must be gone after it passes, after it is
# stopped with SIGTERM (as ctest does at a timeout), and, for a run killed
# with SIGKILL, after the next run started, with the killed run's guest
# stopped too.
#
# Usage: rig_fresh_disks.sh RUN_SH CACHE_DIR BUILD_DIR
set -Eeuo pipefail

[[ $# -eq 3 ]] || { echo "usage: $0 RUN_SH CACHE_DIR BUILD_DIR" >&2; exit 2; }
run_sh=$1 cache=$(realpath "$2") build_dir=$(realpath "$3")
readonly scenario="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/scenarios/rig_fresh_disk.sh"
readonly runs="$cache/runs"
run_pid=""

trap 'echo "rig_fresh_disks: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cleanup() {
  [[ -n $run_pid ]] && kill "$run_pid" 2>/dev/null && wait "$run_pid" 2>/dev/null
  return 0
}
trap cleanup EXIT
fail() { echo "rig_fresh_disks: $*" >&2; exit 1; }
step() { printf '\nrig_fresh_disks: %s\n' "$*"; }

# Starts run.sh in the background (the same disk argument as the seed cloud
# guide's test, a file in the build tree); sets run_pid.
start_run() {
  "$run_sh" --nvme "$build_dir/tests/vm/rig-fresh-disk.img:1G" --timeout 600 \
    "$cache" "$scenario" "$build_dir" "$@" &
  run_pid=$!
}

# Prints the folder of run PID (CACHE_DIR/runs/PID.START), or nothing.
run_folder() {
  compgen -G "$runs/$1.*" || true
}

expect_no_folder() {
  local pid=$1 what=$2
  [[ -z $(run_folder "$pid") ]] || fail "$what left its folder: $(run_folder "$pid")"
}

expect_pass() {
  local what=$1 rc=0
  start_run
  wait "$run_pid" || rc=$?
  [[ $rc -eq 0 ]] || fail "$what failed with status $rc"
  expect_no_folder "$run_pid" "$what"
  run_pid=""
}

# Starts a run that stops after init; waits until the guest is there. Prints
# nothing; sets run_pid and guest_pid (run.sh's timeout process of QEMU).
start_held_run() {
  start_run --hold
  local folder="" tries=3000
  until [[ -n $folder && -f $folder/share/scenario.log ]] &&
    grep -q '^rig_fresh_disk: holding' "$folder/share/scenario.log"; do
    kill -0 "$run_pid" 2>/dev/null || fail "the held run ended before its scenario held"
    ((--tries > 0)) || fail "the held run's scenario never reached its hold"
    sleep 0.1
    folder=$(run_folder "$run_pid")
  done
  read -r guest_pid _ <"$folder/guest.owner"
  [[ -n $(ls "$folder/disks") ]] || fail "no disk image in $folder/disks"
  echo "held: run.sh $run_pid, guest $guest_pid, folder $folder"
}

# Waits up to 30 s for process PID to end.
expect_gone() {
  local pid=$1 what=$2 tries=300
  while kill -0 "$pid" 2>/dev/null; do
    ((--tries > 0)) || fail "$what (pid $pid) still runs"
    sleep 0.1
  done
}

main() {
  [[ -x $run_sh && -x $scenario ]] || fail "no $run_sh or $scenario"

  step "first run"
  expect_pass "the first run"
  step "second run in the same build tree: init must find a fresh disk again"
  expect_pass "the second run"

  step "a run stopped with SIGTERM (ctest's timeout) removes its folder"
  start_held_run
  kill -TERM "$run_pid"
  wait "$run_pid" || true
  expect_no_folder "$run_pid" "the run stopped with SIGTERM"
  expect_gone "$guest_pid" "the guest of the run stopped with SIGTERM"
  run_pid=""

  step "a run killed with SIGKILL: the next run stops its guest and removes its folder"
  start_held_run
  local killed=$run_pid killed_folder
  killed_folder=$(run_folder "$killed")
  kill -KILL "$killed"
  wait "$killed" || true
  run_pid=""
  [[ -d $killed_folder ]] || fail "expected the killed run's folder to be left, as a killed run cannot clean up"
  expect_pass "the run after the killed one"
  [[ ! -e $killed_folder ]] || fail "the run after the killed one left its folder $killed_folder"
  expect_gone "$guest_pid" "the guest of the killed run"
  echo "rig_fresh_disks: passed"
}

main
