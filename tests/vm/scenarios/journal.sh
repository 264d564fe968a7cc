#!/bin/bash
# The journal: `journalctl -p err -u cvfs-open@VOL` shows exactly the
# failures of that volume's unit. The guest has no systemd as PID 1, so the
# scenario runs the distribution's systemd-journald by hand (its sockets under
# /run/systemd/journal, volatile storage) and starts each command the way
# systemd starts a unit's ExecStart: in the unit's cgroup
# (/system.slice/cvfs-open@VOL.service on cgroup2), with stdout and stderr a
# stream to journald whose header names the unit, and JOURNAL_STREAM set to
# that stream's device and inode. Then, for a volume that opens, one whose key
# file is gone and a command line cvfs refuses:
#   - every line reaches the journal without its "<N>" prefix;
#   - `-p err` of a unit shows exactly the lines of its error messages (with
#     their hints), at priority 3, naming the volume, and nothing of a unit
#     that succeeded, whose info lines are there at priority 6;
#   - the same command with stderr not the journal prints no "<N>" prefix;
#   - under systemd-cryptsetup@VOL.service, the cvfs token plugin's refusal
#     of a tampered header is at priority 3 in that unit's -p err.
# Needs root and device-mapper (run in the VM rig).
#
# Usage: scenarios/journal.sh BUILD_DIR [CASE...]
set -Eeuo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 BUILD_DIR [CASE...]" >&2; exit 2; }
build_dir=$(realpath "$1"); shift
readonly scenario=journal root=/tmp/cvfs-journal
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/crypttab_lib.sh"
all_cases=(start_journald volumes succeeding_open failing_open usage_error token_refusal)
journald_pid=""

# as_unit UNIT CMD...: runs CMD as systemd runs a unit's ExecStart (see above).
as_unit() {
  local unit=$1; shift
  local cgroup=/sys/fs/cgroup/system.slice/$unit
  mkdir -p "$cgroup"
  (
    echo "$BASHPID" >"$cgroup/cgroup.procs"
    exec python3 - "$unit" "$@" <<'PY'
# Connects stdout and stderr to journald's stream socket the way systemd
# does for a service (sd-daemon's stream header: identifier, unit, default
# priority, level prefixes on, no forwarding), sets JOURNAL_STREAM, execs.
import os, socket, sys
unit, command = sys.argv[1], sys.argv[2:]
stream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
stream.connect("/run/systemd/journal/stdout")
stream.shutdown(socket.SHUT_RD)
header = "\n".join([os.path.basename(command[0]), unit, "6", "1", "0", "0", "0"]) + "\n"
stream.sendall(header.encode())
fd = stream.detach()
os.dup2(fd, 1)
os.dup2(fd, 2)
os.close(fd)
st = os.fstat(2)
os.environ["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
os.execv(command[0], command)
PY
  )
}

# The messages of UNIT in the journal (journalctl ARGS... as well), one a line.
journal_of() {
  local unit=$1; shift
  journalctl --no-pager -q -o cat -u "$unit" "$@"
}

# error_lines: the lines of stdin (cvfs's stderr, no journal) that belong to
# error messages: from a "cvfs: error:" line up to the next "cvfs: LEVEL:" line.
error_lines() {
  awk '/^cvfs( token)?: [a-z]+: / {error = ($0 ~ /^cvfs( token)?: error: /)} error'
}

case_start_journald() {
  mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup
  mkdir -p /run/systemd/journald.conf.d /run/log/journal
  printf '[Journal]\nStorage=volatile\nRateLimitBurst=0\nForwardToSyslog=no\nForwardToKMsg=no\nForwardToConsole=no\nForwardToWall=no\n' \
    >/run/systemd/journald.conf.d/cvfs-test.conf
  /lib/systemd/systemd-journald >"$root/journald.log" 2>&1 &
  journald_pid=$!
  for _ in $(seq 100); do [[ -S /run/systemd/journal/stdout ]] && break; sleep 0.1; done
  [[ -S /run/systemd/journal/stdout ]] || fail "systemd-journald did not start: $(cat "$root/journald.log")"
  echo "journald runs (pid $journald_pid)"
}

# Two keyfile volumes; "lost" loses its key file after init.
case_volumes() {
  local name
  for name in good lost; do
    printf 'volume = "%s"\ndev = "%s/%s.img"\nmakefs = "ext4"\n\n[encrypt.keyfile]\nkey_file = "%s/keys/%s.key"\n\n[device]\nsize = "64M"\n\n[mount]\npoint = "%s/mnt/%s"\n' \
      "$name" "$root" "$name" "$root" "$name" "$root" "$name" >"$confdir/volumes/$name.toml"
    cvfs init --yes "$name"
  done
  rm "$root/keys/lost.key"
}

# wait_for UNIT TEXT: journald has written a line of UNIT holding TEXT.
wait_for() {
  for _ in $(seq 100); do
    journal_of "$1" | grep -qF -- "$2" && return 0
    sleep 0.1
  done
  fail "no line of $1 holding '$2' reached the journal: $(journal_of "$1")"
}

case_succeeding_open() {
  local unit=cvfs-open@good.service status=0
  as_unit "$unit" "$cvfs_bin" -c "$confdir" -v open good || status=$?
  ((status == 0)) || fail "cvfs open good failed under the unit ($status): $(journal_of "$unit")"
  "$cvfs_bin" -c "$confdir" close good
  wait_for "$unit" "good"
  echo "--- journalctl -u $unit"; journal_of "$unit"
  [[ -z $(journal_of "$unit" -p err) ]] || fail "-p err shows lines of a unit that succeeded: $(journal_of "$unit" -p err)"
  ! journal_of "$unit" | grep -F '<' | grep -E '<[0-7]>' || fail "a priority prefix reached the journal's text"
  journalctl --no-pager -q -u "$unit" -o export | grep -qx 'PRIORITY=6' || fail "the info lines are not at priority 6"
  journalctl --no-pager -q -u "$unit" -o export | grep -qx '_SYSTEMD_UNIT=cvfs-open@good.service' ||
    fail "the lines do not carry the unit"
}

case_failing_open() {
  local unit=cvfs-open@lost.service status=0 plain errors shown
  as_unit "$unit" "$cvfs_bin" -c "$confdir" -v open lost || status=$?
  ((status != 0)) || fail "cvfs open lost succeeded without its key file"
  # The same command with stderr a file: no prefixes; its error lines are
  # what -p err must show.
  plain=$("$cvfs_bin" -c "$confdir" -v open lost 2>&1 >/dev/null) && fail "cvfs open lost succeeded"
  echo "--- stderr of cvfs -v open lost (not the journal)"; echo "$plain"
  ! grep -E '^<[0-7]>' <<<"$plain" || fail "cvfs wrote priority prefixes to a stderr that is not the journal"
  errors=$(error_lines <<<"$plain")
  [[ -n $errors ]] || fail "cvfs open lost printed no error line"
  grep -qF "lost" <<<"$errors" || fail "the error does not name the volume"
  wait_for "$unit" "$(head -n1 <<<"$errors")"
  echo "--- journalctl -p err -u $unit"
  shown=$(journal_of "$unit" -p err)
  echo "$shown"
  [[ $shown == "$errors" ]] || fail "-p err does not show exactly the error lines; expected:
$errors"
  local line
  while IFS= read -r line; do
    journal_of "$unit" | grep -qxF -- "$line" || fail "this line of cvfs's stderr is not in the journal: $line"
  done <<<"$plain"
  [[ $(journalctl --no-pager -q -u "$unit" -p err -o export | grep -c '^PRIORITY=3$') -eq $(wc -l <<<"$errors") ]] ||
    fail "not every error line is at priority 3"
  check_nothing_left lost
}

# A command line cvfs refuses (exit 2) is a failure of the unit too.
case_usage_error() {
  local unit=cvfs-open@typo.service status=0 plain shown
  as_unit "$unit" "$cvfs_bin" -c "$confdir" open --no-such-option typo || status=$?
  ((status == 2)) || fail "a bad option did not give exit code 2 (got $status)"
  plain=$("$cvfs_bin" -c "$confdir" open --no-such-option typo 2>&1 >/dev/null) && fail "the bad option was accepted"
  wait_for "$unit" "$(head -n1 <<<"$plain")"
  shown=$(journal_of "$unit" -p err)
  echo "--- journalctl -p err -u $unit"; echo "$shown"
  [[ $shown == "$plain" ]] || fail "-p err does not show the usage error; expected:
$plain"
}

case_token_refusal() {
  local unit=systemd-cryptsetup@tampered.service status=0 loop shown
  case_install_plugin
  printf 'volume = "tampered"\ndev = "%s/tampered.img"\nmakefs = "ext4"\n\n[encrypt.keyfile]\nkey_file = "%s/keys/tampered.key"\n\n[device]\nsize = "64M"\n' \
    "$root" "$root" >"$confdir/volumes/tampered.toml"
  cvfs init --yes tampered
  loop=$(tamper tampered)
  as_unit "$unit" "$attach" attach tampered "$loop" none headless=true || status=$?
  ((status != 0)) || fail "systemd-cryptsetup opened a tampered header"
  wait_for "$unit" "cvfs token: error: "
  shown=$(journal_of "$unit" -p err)
  echo "--- journalctl -p err -u $unit"; echo "$shown"
  grep -q '^cvfs token: error: .*cipher_null' <<<"$shown" || fail "-p err does not show the token plugin's refusal"
  ! grep -E '^<[0-7]>|^cvfs token: (info|warning):' <<<"$shown" || fail "-p err shows more than the token plugin's errors"
  check_no_mapping tampered
  losetup -d "$loop"
}

cleanup() {
  [[ -n $journald_pid ]] && kill "$journald_pid" 2>/dev/null && wait "$journald_pid" 2>/dev/null
  detach_loops
}
trap cleanup EXIT
run_cases "$@"
