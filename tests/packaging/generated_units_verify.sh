# `cvfs generate-units` (the systemd generator) writes one unit per
# auto_open volume, ordered after the network only when the key provider
# needs it, with the volume's timeout, wanted by the right target; every
# generated unit and the shipped cvfs-open@ template pass
# `systemd-analyze verify` without a single complaint.
. "$CVFS_SOURCE_DIR/tests/cli/common.sh"
: "${CVFS_V1_0_PLUGINDIR:?}" "${CVFS_UNIT_TEMPLATE:?}"
command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed"
cat > "$CONF/cvfs.toml" <<TOML
[plugins]
dirs = ["$CVFS_PLUGINDIR", "$CVFS_V1_0_PLUGINDIR"]
[paths]
run_dir = "$SCRATCH/run"
TOML
mkdir -p "$SCRATCH/var"
cat > "$CONF/volumes/scratch.toml" <<TOML
volume = "scratch-1"
dev = "$SCRATCH/var/scratch.img"
auto_open = true
makefs = "ext4"
timeout = "45s"
[encrypt.otp]
[device]
size = "64M"
[mount]
point = "$SCRATCH/mnt/scratch"
TOML
cat > "$CONF/volumes/remote.toml" <<TOML
volume = "remote"
dev = "$SCRATCH/var/remote.img"
auto_open = true
[encrypt.abi-v1-0]
key = "fixture key"
TOML
cat > "$CONF/volumes/manual.toml" <<TOML
volume = "manual"
dev = "$SCRATCH/var/manual.img"
[encrypt.otp]
TOML
units=$SCRATCH/units
mkdir "$units"
expect_exit 0 cvfs generate-units "$units"

local_unit="$units/cvfs-open@scratch\\x2d1.service"   # systemd-escape: '-' is \x2d
remote_unit="$units/cvfs-open@remote.service"
[ -f "$local_unit" ] || { ls -R "$units"; fail "no unit for scratch-1"; }
[ -f "$remote_unit" ] || fail "no unit for remote"
[ ! -e "$units/cvfs-open@manual.service" ] || fail "a unit for a volume without auto_open"
[ "$(find "$units" -name '*.service' -type f | wc -l)" = 2 ] || fail "expected exactly two units"
[ -L "$units/local-fs.target.wants/cvfs-open@scratch\\x2d1.service" ] || fail "scratch-1 not wanted by local-fs.target"
[ -L "$units/remote-fs.target.wants/cvfs-open@remote.service" ] || fail "remote not wanted by remote-fs.target"

has() { grep -qxF -- "$2" "$1" || { cat "$1" >&2; fail "$(basename "$1") lacks: $2"; }; }
lacks() { ! grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$(basename "$1") has: $2"; }; }
has "$local_unit" "ExecStart=$CVFS_BIN -c $CONF open scratch-1"
has "$local_unit" "ExecStop=$CVFS_BIN -c $CONF close scratch-1"
has "$local_unit" "TimeoutStartSec=75s"
has "$local_unit" "Before=local-fs.target"
has "$local_unit" "RequiresMountsFor=$SCRATCH/var"
has "$local_unit" "RequiresMountsFor=$SCRATCH/mnt"
has "$local_unit" "Before=umount.target"
lacks "$local_unit" "network-online.target"
has "$remote_unit" "After=network-online.target"
has "$remote_unit" "Wants=network-online.target"
has "$remote_unit" "Before=remote-fs.target"
has "$remote_unit" "TimeoutStartSec=90s"

# The shipped template, as an instance, with the binary this build made.
sed "s|^\(Exec[A-Za-z]*=\)[^ ]*/cvfs |\1$CVFS_BIN |" "$CVFS_UNIT_TEMPLATE" >"$units/cvfs-open@data0.service"
grep -q "^ExecStart=$CVFS_BIN open %I$" "$units/cvfs-open@data0.service" || fail "unexpected template: $(cat "$CVFS_UNIT_TEMPLATE")"
for unit in "$local_unit" "$remote_unit" "$units/cvfs-open@data0.service"; do
    out=$(cd "$units" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "$unit" 2>&1) ||
        fail "systemd-analyze verify $(basename "$unit") failed: $out"
    [ -z "$out" ] || fail "systemd-analyze verify $(basename "$unit") complained: $out"
done

# Installed as a generator, cvfs takes systemd's arguments.
ln -s "$CVFS_BIN" "$SCRATCH/cvfs-generator"
expect_exit 2 "$SCRATCH/cvfs-generator"
expect_output "usage: cvfs-generator NORMAL_DIR"
echo "generated units verified"
