# A broken volume file gets every one of its errors reported, each as an
# error with its hint (the "did you mean" too); two volumes on one device and
# a plugins.d file shadowing an installed plugin are refused, naming the other
# file; a mount option cvfs cannot honour is found by config check; the exit
# code is 3 for show and config check alike.
. "$(dirname "$0")/common.sh"
cat > "$CONF/volumes/broken.toml" <<TOML
volume = "broken"
dev = "relative/path.img"
auto_opne = true
timeout = "soon"
[encrypt.otp]
[mount]
point = "not/absolute"
TOML
expect_exit 3 cvfs show
for text in "broken.toml:3:1: unknown key 'auto_opne'" "hint: did you mean 'auto_open'?" \
            "broken.toml:2:7: invalid value" "broken.toml:4:11:" "broken.toml:7:9:"; do
    expect_output "$text"
done
[ "$(grep -c '^cvfs: error: .*broken.toml' "$SCRATCH/out")" = 4 ] || { cat "$SCRATCH/out"; fail "expected 4 errors of broken.toml"; }
grep -q "warning" "$SCRATCH/out" && fail "a broken file is reported as a warning"
expect_exit 3 cvfs config check
expect_output "hint: did you mean 'auto_open'?"
rm "$CONF/volumes/broken.toml"

# Two volumes on one device, once through a link: the second file is refused.
for name in first second; do
    cat > "$CONF/volumes/$name.toml" <<TOML
volume = "$name"
dev = "$SCRATCH/shared.img"
[encrypt.otp]
TOML
done
ln -s "$SCRATCH/shared.img" "$SCRATCH/link.img"
cat > "$CONF/volumes/third.toml" <<TOML
volume = "third"
dev = "$SCRATCH/link.img"
[encrypt.otp]
TOML
expect_exit 3 cvfs show
expect_output "second.toml:2:7: volume 'second' has the device of volume 'first' ($CONF/volumes/first.toml:2:7)"
expect_output "third.toml:2:7: volume 'third' has the device of volume 'first'"
grep -qE '^first ' "$SCRATCH/out" || fail "the first volume is not shown"
grep -qE '^(second|third) ' "$SCRATCH/out" && fail "a volume on another volume's device is shown"
rm "$CONF/volumes/second.toml" "$CONF/volumes/third.toml"

# plugins.d: a registration under an installed plugin's name, and one with an unknown key.
mkdir -p "$CONF/plugins.d"
cat > "$CONF/plugins.d/shadow.toml" <<TOML
name = "otp"
kind = "key-provider"
path = "/opt/vendor/key-otp.so"
TOML
cat > "$CONF/plugins.d/typo.toml" <<TOML
name = "acme-hsm"
kind = "key-provider"
path = "/opt/acme/key-acme-hsm.so"
vendor = "acme"
TOML
expect_exit 3 cvfs config check first
expect_output "shadow.toml:1:8: plugin 'otp' is registered here and also installed as $CVFS_PLUGINDIR/key-otp.so"
expect_output "typo.toml:4:1: unknown key 'vendor'"

# A mount option cvfs cannot honour is found by config check, not only at open.
cat > "$CONF/volumes/bind.toml" <<TOML
volume = "bind"
dev = "$SCRATCH/bind.img"
makefs = "ext4"
[encrypt.otp]
[mount]
point = "$SCRATCH/mnt"
options = "noatime,bind"
TOML
rm "$CONF/plugins.d/shadow.toml" "$CONF/plugins.d/typo.toml"
expect_exit 3 cvfs config check bind
expect_output "volume 'bind' ($CONF/volumes/bind.toml): [mount] options"
expect_output "bind"
echo "every configuration error reported"
