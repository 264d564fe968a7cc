# `cvfs open` of several volumes opens them side by side and reports every
# one: here each fails for its own reason on this host (a block file never
# initialised, a plugin that does not exist, a temporary volume whose mapping
# the kernel cannot make), each reason is printed with its volume, a summary
# names all failed volumes, and the exit code says failure.
# (The VM scenario boot_parallel_open.sh covers volumes that do open.)
. "$CVFS_SOURCE_DIR/tests/cli/common.sh"
make_keyfile_volume uninit
cat > "$CONF/volumes/noplugin.toml" <<TOML
volume = "noplugin"
dev = "$SCRATCH/noplugin.img"
[encrypt.no-such-provider]
TOML
cat > "$CONF/volumes/temp.toml" <<TOML
volume = "temp"
dev = "$SCRATCH/temp.img"
[encrypt.otp]
[device]
size = "32M"
TOML
expect_exit 1 cvfs open uninit noplugin temp
expect_output "volume 'uninit'"
expect_output "uninit.img does not exist; run \`cvfs init\` to create it"
expect_output "no key provider plugin 'no-such-provider'"
expect_output "volume 'temp': cannot map"
expect_output "cvfs: 3 of 3 volumes failed to open: uninit, noplugin, temp"
[ "$(grep -c '^cvfs: error:' "$SCRATCH/out")" = 3 ] || { cat "$SCRATCH/out"; fail "expected one error per volume"; }
[ -z "$(losetup -j "$SCRATCH/temp.img" -n)" ] || fail "the failed temporary volume left its loop device"
echo "each failed volume reported"
