# An unknown option before the command is reported as that option, with exit
# code 2: it does not shift the words so that the command is taken for a volume.
. "$(dirname "$0")/common.sh"
expect_exit 2 cvfs -q show
expect_output "unknown option '-q'"
grep -q "unknown volume" "$SCRATCH/out" && fail "'-q show' was read as volume 'show'"
expect_exit 2 cvfs --bogus
expect_output "unknown option '--bogus'"
expect_exit 2 cvfs open --bogus data0
expect_output "'--bogus'"
expect_output "cvfs open --help"
exit 0
