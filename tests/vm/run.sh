#!/usr/bin/env bash
# Boots the rig's guest (QEMU TCG, stock Debian kernel, host root read-only
# over 9p) and runs one scenario script in it as root, for everything the
# host kernel cannot do (device-mapper, dm-crypt, dm-integrity, NVMe, TPM).
#
# Usage: run.sh [options] CACHE_DIR SCENARIO_SCRIPT [ARGS...]
#   --disk [NAME:]SIZE  attach a fresh, empty disk of SIZE (256M, 1G, ...) as a
#                       virtio disk (/dev/vda, /dev/vdb, ...); repeatable
#   --nvme [NAME:]SIZE  attach a fresh, empty disk of SIZE as an NVMe disk
#                       (/dev/nvme0n1)
#   --tpm               attach a fresh swtpm TPM 2.0 (/dev/tpm0, /dev/tpmrm0)
#   --mem MiB           guest memory (default 1536)
#   --timeout SEC       kill the guest after SEC seconds (default 600)
#   --share DIR         host folder mounted in the guest at $CVFS_VM_SHARE
#                       (/mnt/results); kept afterwards (default: one in the
#                       run's folder, removed with it)
#   --stream            print the guest console while it runs
# CACHE_DIR is what prepare.sh made. The guest sees the host's files read-only,
# except /tmp, /run and /mnt, which are its own: keep the scenario and what it
# reads elsewhere. The scenario's output goes to the console
# and to $CVFS_VM_SHARE/scenario.log. Exits with the scenario's status, or
# non-zero when the guest gave none (crash, timeout).
#
# Disks are sparse image files that every run makes anew in its own folder,
# CACHE_DIR/runs/PID.START, removed with it when the run ends, passes or
# fails, or is stopped (SIGINT, SIGTERM). NAME only names the file (the older
# form FILE:SIZE is accepted; FILE's folder is ignored). A run killed outright
# (SIGKILL) leaves its folder behind: the next run stops that run's guest and
# removes the folder. So no scenario ever sees a disk an earlier run wrote.
set -euo pipefail
shopt -s extglob

RIG_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly RIG_DIR
readonly MARKER="CVFS-VM-RESULT status="

disk_specs=() nvme_spec="" disks=() nvme="" tpm=0 mem=1536 timeout_sec=600 share="" stream=0
work="" qemu_pid="" swtpm_pid="" start_us=0

log() { printf 'vm: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

usage() {
  sed -n '/^# Usage/,/^# removes the folder/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

cleanup() {
  [[ -n $qemu_pid ]] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
  [[ -n $swtpm_pid ]] && kill "$swtpm_pid" 2>/dev/null && wait "$swtpm_pid" 2>/dev/null
  [[ -n $work ]] && rm -rf "$work"
  return 0
}

# Checks a --disk or --nvme argument, [NAME:]SIZE.
check_disk_spec() {
  local option=$1 spec=$2
  [[ ${spec##*:} =~ ^[0-9]+[KMGT]?$ ]] ||
    die "$option $spec: expected [NAME:]SIZE with SIZE like 256M or 1G"
}

# Makes a fresh sparse image of SPEC's size in the run's folder; prints its path.
disk_image() {
  local spec=$1 number=$2 name size file
  size=${spec##*:} name=disk$number.img
  [[ $spec == *:* ]] && name=${spec%:*} && name=${name##*/}
  file="$work/disks/$number-$name"
  mkdir -p "$work/disks"
  truncate -s "$size" "$file" || die "cannot create the disk image $file of $size"
  printf '%s\n' "$file"
}

make_disks() {
  local spec number=0
  for spec in "${disk_specs[@]}"; do
    disks+=("$(disk_image "$spec" "$number")")
    ((++number))
  done
  [[ -z $nvme_spec ]] || nvme=$(disk_image "$nvme_spec" nvme)
}

# Prints the start time of process PID (clock ticks after boot), which tells a
# live process from a later one that got the same PID; fails when none runs
# (a zombie, ended but not yet reaped, counts as none).
process_start_time() {
  local stat fields
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  read -ra fields <<<"${stat##*) }"
  [[ ${fields[0]} != Z ]] || return 1
  printf '%s\n' "${fields[19]}"
}

# Removes the folders of runs that were killed outright, after stopping the
# guest such a run left running (its timeout process, named in guest.owner).
remove_stale_runs() {
  local runs=$1 dir name owner
  for dir in "$runs"/*.*; do
    name=${dir##*/}
    [[ -d $dir && $name =~ ^[0-9]+\.[0-9]+$ ]] || continue
    [[ $(process_start_time "${name%.*}" || true) == "${name#*.}" ]] && continue
    if read -r owner <"$dir/guest.owner" 2>/dev/null; then
      stop_stale_guest "${owner%% *}" "${owner#* }"
    fi
    log "removing $dir, left by a killed run"
    # The killed run's console reader may still be writing its last lines.
    rm -rf "$dir" 2>/dev/null || { sleep 1 && rm -rf "$dir"; } || log "warning: cannot remove $dir"
  done
}

# Stops the guest (QEMU's timeout process PID, started at START) of a killed
# run, if it still runs, and waits up to 20 s for it to end.
stop_stale_guest() {
  local pid=$1 start=$2 tries=200
  [[ $(process_start_time "$pid" || true) == "$start" ]] || return 0
  log "stopping the guest of a killed run (pid $pid)"
  kill "$pid" 2>/dev/null || return 0
  while [[ $(process_start_time "$pid" || true) == "$start" ]] && ((--tries > 0)); do
    sleep 0.1
  done
}

# Makes this run's folder, CACHE_DIR/runs/PID.START; sets work.
make_run_folder() {
  local runs="$cache/runs" start
  mkdir -p "$runs"
  remove_stale_runs "$runs"
  start=$(process_start_time $$) || die "cannot read /proc/$$/stat"
  work="$runs/$$.$start"
  mkdir "$work" || die "cannot make the run's folder $work"
}

parse_args() {
  while [[ $# -gt 0 ]]; do
    case $1 in
      --disk) check_disk_spec "$1" "${2:?--disk needs [NAME:]SIZE}"; disk_specs+=("$2"); shift 2 ;;
      --nvme) check_disk_spec "$1" "${2:?--nvme needs [NAME:]SIZE}"; nvme_spec=$2; shift 2 ;;
      --tpm) tpm=1; shift ;;
      --mem) mem=${2:?--mem needs MiB}; shift 2 ;;
      --timeout) timeout_sec=${2:?--timeout needs seconds}; shift 2 ;;
      --share) share=${2:?--share needs a folder}; shift 2 ;;
      --stream) stream=1; shift ;;
      -h|--help) usage ;;
      --) shift; break ;;
      -*) die "unknown option $1" ;;
      *) break ;;
    esac
  done
  [[ $# -ge 2 ]] || usage
  cache=$(realpath "$1") scenario=$(realpath "$2")
  shift 2
  scenario_args=("$@")
  [[ -f $cache/vmlinuz && -f $cache/initramfs.cpio.gz ]] ||
    die "$cache has no kernel or initramfs: run prepare.sh $cache first"
  [[ -x $scenario ]] || die "$scenario is not an executable file"
  case $scenario in
    /run/*|/mnt/*|/dev/*|/proc/*|/sys/*)
      die "$scenario is hidden in the guest (fresh /run, /mnt there): put it elsewhere" ;;
  esac
}

# The guest's /tmp is its own; folders of the host's /tmp that the scenario
# or its arguments live in are bound into it (read-only). Prints their names.
host_tmp_folders() {
  local path
  for path in "$scenario" "${scenario_args[@]}"; do
    [[ $path == /tmp/?* && -e $path ]] || continue
    path=${path#/tmp/}
    echo "${path%%/*}"
  done | sort -u
}

# Writes what the guest runs (guest-run.sh reads it) onto the share.
write_job() {
  mkdir -p "$share/.rig"
  cp "$RIG_DIR/guest-run.sh" "$share/.rig/guest-run.sh"
  {
    printf 'scenario=%q\n' "$scenario"
    printf 'scenario_args=('
    [[ ${#scenario_args[@]} -gt 0 ]] && printf ' %q' "${scenario_args[@]}"
    printf ' )\n'
  } >"$share/.rig/job"
  host_tmp_folders >"$share/.rig/host-tmp"
  rm -f "$share/scenario.log" "$share/console.log"
}

start_swtpm() {
  local dir="$work/tpm"
  # A UNIX socket's path holds at most 107 bytes.
  ((${#dir} + 5 <= 107)) || die "the TPM socket $dir/sock is too long a path: use a shorter CACHE_DIR"
  mkdir -p "$dir"
  swtpm socket --tpm2 --tpmstate dir="$dir" --ctrl type=unixio,path="$dir/sock" \
    --terminate >"$work/swtpm.log" 2>&1 &
  swtpm_pid=$!
  local tries=50
  until [[ -S $dir/sock ]]; do
    ((--tries > 0)) || die "swtpm did not start: $(cat "$work/swtpm.log")"
    sleep 0.1
  done
}

qemu_command() {
  local cmd=(qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m "$mem"
    -nographic -no-reboot -nic none
    -kernel "$cache/vmlinuz" -initrd "$cache/initramfs.cpio.gz"
    -append "console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off"
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
    -virtfs "local,path=$share,mount_tag=share,security_model=none,multidevs=remap")
  local disk
  for disk in "${disks[@]}"; do
    cmd+=(-drive "file=$disk,if=virtio,format=raw")
  done
  if [[ -n $nvme ]]; then
    cmd+=(-drive "file=$nvme,if=none,id=nv0,format=raw" -device "nvme,drive=nv0,serial=cvfs-nvme0")
  fi
  if ((tpm)); then
    cmd+=(-chardev "socket,id=chrtpm,path=$work/tpm/sock" -tpmdev "emulator,id=tpm0,chardev=chrtpm"
      -device "tpm-tis,tpmdev=tpm0")
  fi
  printf '%s\0' "${cmd[@]}"
}

# Prints the seconds (one decimal) since boot_guest started QEMU.
elapsed_since_start() {
  local tenths=$(((${EPOCHREALTIME/./} - start_us) / 100000))
  printf '%d.%d\n' $((tenths / 10)) $((tenths % 10))
}

seconds_between() {
  local tenths=$((10#${2/./} - 10#${1/./}))
  printf '%d.%d\n' $((tenths / 10)) $((tenths % 10))
}

# Copies the console (without carriage returns) to console.log, optionally to
# stderr, and notes when the scenario starts.
read_console() {
  local line
  while IFS= read -r line; do
    line=${line%$'\r'}
    line=${line//$'\e'c/}
    line=${line//$'\e'\[*([0-9;?])[a-zA-Z]/}
    printf '%s\n' "$line" >>"$share/console.log"
    ((stream)) && printf '%s\n' "$line" >&2
    [[ $line == *"cvfs-vm: running "* ]] && elapsed_since_start >"$work/started"
    [[ $line == "$MARKER"* ]] && elapsed_since_start >"$work/finished"
  done
  return 0
}

boot_guest() {
  local cmd=()
  mapfile -d '' cmd < <(qemu_command)
  mkfifo "$work/console"
  start_us=${EPOCHREALTIME/./}
  read_console <"$work/console" &
  local reader_pid=$!
  timeout -k 10 "$timeout_sec" "${cmd[@]}" </dev/null >"$work/console" 2>&1 &
  qemu_pid=$!
  echo "$qemu_pid $(process_start_time "$qemu_pid" || true)" >"$work/guest.owner"
  local rc=0
  wait "$qemu_pid" || rc=$?
  qemu_pid=""
  wait "$reader_pid" || true
  [[ $rc -eq 124 || $rc -eq 137 ]] && log "timeout: the guest ran longer than ${timeout_sec}s and was killed"
  local started=never ran="" total
  total=$(elapsed_since_start)
  [[ -f $work/started ]] && started=$(cat "$work/started")s
  [[ -f $work/started && -f $work/finished ]] &&
    ran=", ran $(seconds_between "$(cat "$work/started")" "$(cat "$work/finished")")s"
  log "QEMU ran ${total}s; scenario started ${started} after QEMU start${ran}"
}

# Prints the scenario's status from the console marker, or nothing.
guest_status() {
  { grep -a "^$MARKER" "$share/console.log" 2>/dev/null || true; } | tail -n1 | sed "s/^$MARKER//"
}

main() {
  parse_args "$@"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  make_run_folder
  make_disks
  if [[ -z $share ]]; then share="$work/share"; fi
  mkdir -p "$share"
  share=$(realpath "$share")
  write_job
  ((tpm)) && start_swtpm
  boot_guest
  local status
  status=$(guest_status)
  if [[ $status != 0 ]]; then
    if ((!stream)); then
      log "guest console:"
      cat "$share/console.log" >&2
    fi
    [[ -n $status ]] || { log "the guest printed no exit status"; exit 1; }
    log "scenario failed with status $status"
    exit "$status"
  fi
  log "scenario passed"
}

main "$@"
