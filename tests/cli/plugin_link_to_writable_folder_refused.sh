# A plugin file that is a symlink into a folder others can write is refused
# (the folder where the link leads is checked, not only the link's), and the
# refusal names that folder and the chmod that fixes it. A link whose target
# lies outside the plugin folder needs every folder up to / to pass, so the
# good case links below the plugin folder (this test's /tmp is 1777).
. "$(dirname "$0")/common.sh"
mkdir -m 755 "$SCRATCH/plugins"
mkdir -m 777 "$SCRATCH/writable"
cp "$CVFS_PLUGINDIR/key-otp.so" "$SCRATCH/writable/key-otp.so"
chmod 755 "$SCRATCH/writable/key-otp.so"
ln -s "$SCRATCH/writable/key-otp.so" "$SCRATCH/plugins/key-otp.so"
cat > "$CONF/cvfs.toml" <<TOML
[plugins]
dirs = ["$SCRATCH/plugins"]
[paths]
run_dir = "$SCRATCH/run"
TOML
expect_exit 1 cvfs plugins
expect_output "the plugin folder $SCRATCH/writable is writable by group or others (mode 0777)"
expect_output "chmod go-w $SCRATCH/writable"

# Linked to a folder below the plugin folder that only root can write: loads.
mkdir -m 755 "$SCRATCH/plugins/real"
mv "$SCRATCH/writable/key-otp.so" "$SCRATCH/plugins/real/key-otp.so"
ln -sfn "$SCRATCH/plugins/real/key-otp.so" "$SCRATCH/plugins/key-otp.so"
expect_exit 0 cvfs plugins
expect_output "otp"
