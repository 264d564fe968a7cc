# One broken volume file is reported with file and line, and the other
# volumes still work; config check fails (exit 3).
. "$(dirname "$0")/common.sh"
make_keyfile_volume good
cat > "$CONF/volumes/bad.toml" <<TOML
volume = "bad"
dev = "$SCRATCH/bad.img"
mkfs = "ext4"

[encrypt.otp]
TOML
expect_exit 0 cvfs show good
expect_output "bad.toml:3"
expect_output "good"

expect_exit 3 cvfs config check
expect_output "unknown key 'mkfs'"
expect_output "good.toml: ok"
