# `cvfs plugins` lists every shipped plugin with its ABI version.
. "$(dirname "$0")/common.sh"
expect_exit 0 cvfs plugins
for name in otp passphrase keyfile exec loop ext4 xfs vfat swap; do expect_output "$name"; done
expect_output "1.1"  # the ABI the shipped plugins are built with
