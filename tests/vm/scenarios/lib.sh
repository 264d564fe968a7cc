# Helpers shared by the fault scenarios (faults.sh, data_safety.sh,
# concurrency.sh, ...), sourced after the scenario has set:
#   scenario   its name, which starts every failure message;
#   root       the folder it works in (removed and made again by setup);
#   build_dir  the build folder holding bin/cvfs and plugins.out.
# Defines confdir, cvfs_bin, an ERR trap naming the failing line, and the
# functions below.

readonly confdir=$root/conf
cvfs_bin=$build_dir/bin/cvfs

trap 'echo "$scenario: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cvfs() { printf '$ cvfs %s\n' "$*"; "$cvfs_bin" -c "$confdir" "$@"; }
fail() { echo "$scenario: $*" >&2; return 1; }

# A fresh root with a global configuration: the build's plugins, the locks
# under root/run, a root-only keys folder and a mnt folder.
setup() {
  rm -rf "$root"
  mkdir -p "$confdir/volumes" "$root/run" "$root/keys" "$root/mnt"
  chmod 700 "$root/keys"
  printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" \
    >"$confdir/cvfs.toml"
}

# expect_failure TEXT CVFS_ARGS...: cvfs must fail and say TEXT.
expect_failure() {
  local text=$1; shift
  local output status=0
  output=$("$cvfs_bin" -c "$confdir" "$@" 2>&1) || status=$?
  printf '$ cvfs %s  (exit %d)\n%s\n' "$*" "$status" "$output"
  ((status != 0)) || fail "cvfs $* succeeded"
  grep -qF -- "$text" <<<"$output" || fail "cvfs $* did not say: $text"
}

# Nothing of NAME is left: no mapping (nor its integrity device), no loop
# device on root/NAME.img, no mount on root/mnt/NAME.
check_nothing_left() {
  local name=$1
  [[ ! -e /dev/mapper/$name && ! -e /dev/mapper/${name}_dif ]] || fail "a mapping of $name is left"
  ! dmsetup info "$name" >/dev/null 2>&1 || fail "device-mapper still has $name"
  [[ -z $(losetup -j "$root/$name.img" -n 2>/dev/null) ]] || fail "a loop device of $name is left"
  ! findmnt "$root/mnt/$name" >/dev/null || fail "$name is still mounted"
}

# kill_at SYMBOL SKIP CVFS_ARGS...: runs cvfs under gdb and kills it with
# SIGKILL when it reaches SYMBOL for the (SKIP+1)th time.
kill_at() {
  local symbol=$1 skip=$2; shift 2
  local log=$root/gdb.log
  gdb -q -batch -nx --readnever -ex 'set breakpoint pending on' -ex 'set startup-with-shell off' \
    -ex "break $symbol" -ex "ignore 1 $skip" -ex run -ex 'signal SIGKILL' \
    --args "$cvfs_bin" -c "$confdir" "$@" >"$log" 2>&1 || true
  grep -qE "Breakpoint 1(\.[0-9]+)?, " "$log" || { cat "$log" >&2; fail "cvfs $* never reached $symbol"; }
  # gdb says so in one of two ways, depending on the thread that was stopped.
  grep -qE "terminated with signal SIGKILL|No such process" "$log" || { cat "$log" >&2; fail "cvfs $* was not killed"; }
  echo "killed: cvfs $* at $symbol (hit $((skip + 1)))"
}

# run_cases CASE...: setup, then case_CASE for each (every one of all_cases
# when none is named), each timed; removes root when all passed.
run_cases() {
  [[ $# -gt 0 ]] || set -- "${all_cases[@]}"
  setup
  local case start
  for case in "$@"; do
    echo "== $case"
    start=$SECONDS
    "case_$case"
    echo "== $case passed in $((SECONDS - start)) s"
  done
  rm -rf "$root"
  echo "$scenario: all $# cases passed"
}
