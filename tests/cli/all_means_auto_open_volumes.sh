# `--all` of open and close means the auto_open volumes, not every volume;
# --all together with volume names is a usage error.
. "$(dirname "$0")/common.sh"
for name in boot later; do
    cat > "$CONF/volumes/$name.toml" <<TOML
volume = "$name"
dev = "$SCRATCH/$name.img"
auto_open = $([ $name = boot ] && echo true || echo false)
[device]
backend = "loop"
size = "32M"
[encrypt.otp]
TOML
done
"$CVFS_BIN" -c "$CONF" close --all > "$SCRATCH/out" 2>&1 || true
expect_output "boot"
grep -q "later" "$SCRATCH/out" && { cat "$SCRATCH/out" >&2; fail "close --all acted on a volume without auto_open"; }
expect_exit 2 cvfs open --all boot
expect_output "usage: cvfs open"
expect_exit 2 cvfs close --all later
expect_exit 0 cvfs open --help
expect_output "every auto_open volume"
exit 0
