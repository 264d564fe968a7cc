# --version prints the version and plugin ABI; a wrong command is a usage error (exit 2).
. "$(dirname "$0")/common.sh"
expect_exit 0 cvfs --version
expect_output "plugin ABI 1.1"
expect_exit 2 cvfs frobnicate
expect_output "unknown command"
expect_exit 2 cvfs open
