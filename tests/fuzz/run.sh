#!/bin/bash
# Runs cvfs' libFuzzer targets, one after the other, each for a fixed time on
# its checked-in seeds (tests/fuzz/corpus/<name>) plus a work corpus in the
# build tree, and prints one line per target: executions, coverage, result.
# Exits 1 when any target crashed, leaked or timed out; the input that did it
# is kept under <build>/tests/fuzz/crashes/<name>/. A target that was not
# built fails.
#
#   run.sh [--budget SECONDS] [--build DIR] [NAME...]   (default: every target, 10 s)
set -u
here=$(cd "$(dirname "$0")" && pwd)
budget=10
build=build-fuzz
names=()
while [ $# -gt 0 ]; do
    case $1 in
    --budget) budget=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) names+=("$1"); shift ;;
    esac
done
bin=$(cd "$build" && pwd)/tests/fuzz
if [ ${#names[@]} -eq 0 ]; then
    for f in "$here"/*_fuzz.cpp; do names+=("$(basename "$f" _fuzz.cpp)"); done
fi

# Inputs as large as the format allows: two LUKS2 metadata copies of 4 MiB
# each plus the start of the keyslots area; 4 MiB of JSON; quotes,
# certificates and TOML files far below 1 MiB.
max_len_of() {
    case $1 in
    luks_header*) echo $((9 << 20)) ;;
    luks_json | tpm_token) echo $((4 << 20)) ;;
    *) echo $((1 << 20)) ;;
    esac
}

failed=0
for name in "${names[@]}"; do
    exe=$bin/${name}_fuzz
    if [ ! -x "$exe" ]; then
        echo "fuzz $name: no fuzzer at $exe (configure with -DCVFS_FUZZ=ON and build it)"
        failed=1
        continue
    fi
    work=$bin/work/$name
    crashes=$bin/crashes/$name
    mkdir -p "$work" "$crashes"
    args=(-max_total_time="$budget" -max_len="$(max_len_of "$name")" -timeout=60 -rss_limit_mb=4096
        -print_final_stats=1 -artifact_prefix="$crashes/")
    [ -f "$here/$name.dict" ] && args+=(-dict="$here/$name.dict")
    seeds=()
    [ -d "$here/corpus/$name" ] && seeds=("$here/corpus/$name")
    log=$bin/work/$name.log
    start=$(date +%s)
    (cd "$work" && "$exe" "${args[@]}" "$work" "${seeds[@]}") >"$log" 2>&1
    status=$?
    seconds=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
    if [ $status -eq 0 ]; then
        echo "fuzz $name: ${execs:-0} executions in ${seconds} s, ${cov:-no coverage line}: ok"
    else
        echo "fuzz $name: ${execs:-0} executions in ${seconds} s, ${cov:-no coverage line}: FAILED (exit $status)"
        grep -E '^==[0-9]+==ERROR|SUMMARY:|^    #[0-9]+ ' "$log" | head -30
        echo "  input kept in $crashes/, whole log in $log"
        failed=1
    fi
done
exit $failed
