# `cvfs X --help` and `cvfs help X` print that command's usage, flags and
# examples, not the global text; no help shows the internal options; every
# command's help works.
. "$(dirname "$0")/common.sh"
for form in "open --help" "help open"; do
    expect_exit 0 cvfs $form
    expect_output "Usage: cvfs [-c DIR] [-v] open VOLUME..."
    expect_output "--no-mount"
    expect_output "Examples:"
    grep -q "^Commands:" "$SCRATCH/out" && fail "'cvfs $form' printed the global help"
done
expect_exit 0 cvfs help config check
expect_output "Usage: cvfs [-c DIR] [-v] config check"
expect_exit 0 cvfs init --help
expect_output "--force"
grep -q -- "--no-mount" "$SCRATCH/out" && fail "init's help shows open's flags"
for form in "--help" "open --help" "show --help"; do
    expect_exit 0 cvfs $form
    grep -qE -- "--command|--args|--volumes|--operands" "$SCRATCH/out" && fail "'cvfs $form' shows an internal option"
done
# Every command listed answers --help, even one with a required option.
cvfs --help >"$SCRATCH/global-help" 2>&1
awk '/^Commands:/ {on = 1; next} on && /^$/ {exit} on && /^  [a-z]/ {sub(/^  /, ""); sub(/  .*/, ""); print}' \
    "$SCRATCH/global-help" >"$SCRATCH/commands"
[ "$(wc -l <"$SCRATCH/commands")" -ge 10 ] || fail "could not read the commands from cvfs --help"
while read -r command; do
    expect_exit 0 cvfs $command --help
    expect_output "Usage: cvfs [-c DIR] [-v] $command"
done <"$SCRATCH/commands"
exit 0
