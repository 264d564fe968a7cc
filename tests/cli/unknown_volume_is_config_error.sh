# Naming a volume that no file defines is a configuration error (exit 3).
. "$(dirname "$0")/common.sh"
expect_exit 3 cvfs open nosuch
expect_output "unknown volume 'nosuch'"
