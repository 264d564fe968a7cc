# A volume file or plugins.d file that others than root can write is refused,
# named with the exact chmod that fixes it; the other volumes still work and
# config check fails (exit 3).
. "$(dirname "$0")/common.sh"
make_keyfile_volume good
make_keyfile_volume bad
chmod 666 "$CONF/volumes/bad.toml"
expect_exit 0 cvfs show good
expect_output "$CONF/volumes/bad.toml: the volume file is refused: it is writable by group or others (mode 0666)"
expect_output "chmod go-w $CONF/volumes/bad.toml"
expect_exit 3 cvfs show bad
expect_output "unknown volume 'bad'"

mkdir -m 755 "$CONF/plugins.d"
cat > "$CONF/plugins.d/acme.toml" <<TOML
name = "acme"
kind = "key-provider"
path = "$SCRATCH/key-acme.so"
TOML
chmod 646 "$CONF/plugins.d/acme.toml"
expect_exit 3 cvfs config check
expect_output "$CONF/plugins.d/acme.toml: the plugin registration is refused"
expect_output "good.toml: ok"

chmod 644 "$CONF/volumes/bad.toml"
expect_exit 0 cvfs show bad
