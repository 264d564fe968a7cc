# A key provider compiled against the frozen v1.0 SDK headers (sdk/abi/v1.0)
# is loaded by today's cvfs: listed with ABI 1.0, and its configuration
# checks run through it (a good table passes, an unknown key is refused with
# its file and line).
. "$CVFS_SOURCE_DIR/tests/cli/common.sh"
: "${CVFS_V1_0_PLUGINDIR:?}"
[ -f "$CVFS_V1_0_PLUGINDIR/key-abi-v1-0.so" ] || fail "fixture plugin not built in $CVFS_V1_0_PLUGINDIR"
cat > "$CONF/cvfs.toml" <<TOML
[plugins]
dirs = ["$CVFS_PLUGINDIR", "$CVFS_V1_0_PLUGINDIR"]
[paths]
run_dir = "$SCRATCH/run"
TOML

expect_exit 0 cvfs plugins
grep -E '^abi-v1-0 +key-provider +1\.0\.0 +1\.0 ' "$SCRATCH/out" >/dev/null || { cat "$SCRATCH/out"; fail "abi-v1-0 not listed as a 1.0 key provider"; }

cat > "$CONF/volumes/old.toml" <<TOML
volume = "old"
dev = "$SCRATCH/old.img"

[encrypt.abi-v1-0]
key = "fixture key"
TOML
expect_exit 0 cvfs config check old
expect_output "ok (volume old)"

cat > "$CONF/volumes/old.toml" <<TOML
volume = "old"
dev = "$SCRATCH/old.img"

[encrypt.abi-v1-0]
key = "fixture key"
colour = "blue"
TOML
expect_exit 3 cvfs config check old
expect_output "old.toml:6: 'colour' in [encrypt.abi-v1-0] is not a key of this plugin"
echo "v1.0 plugin loads and checks its configuration"
