#!/usr/bin/env bash
# Runs inside the guest's chroot (the host root, read-only): reads the job
# run.sh wrote on the share, runs the scenario as root with its arguments,
# copies its output to the console and to $CVFS_VM_SHARE/scenario.log, and
# exits with the scenario's status.
set -uo pipefail

scenario="" scenario_args=()
# shellcheck source=/dev/null  # written by run.sh: defines scenario and scenario_args
source "$CVFS_VM_SHARE/.rig/job"

printf 'cvfs-vm: running %q' "$scenario"
[[ ${#scenario_args[@]} -gt 0 ]] && printf ' %q' "${scenario_args[@]}"
printf '\n'
cd "$CVFS_VM_SHARE" || exit 125
"$scenario" "${scenario_args[@]}" 2>&1 | tee "$CVFS_VM_SHARE/scenario.log"
exit "${PIPESTATUS[0]}"
