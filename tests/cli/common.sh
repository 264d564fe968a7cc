# Shared set-up of the CLI scenario tests: a scratch folder with a cvfs
# configuration folder that uses the freshly built plugins, and small helpers.
# Sourced by each test; the scratch folder and any loop devices are cleaned up
# on exit.
set -euo pipefail
# cvfs refuses configuration that group or others can write: make the
# test's files as root's usual umask does, whatever the caller's is.
umask 022

: "${CVFS_BIN:?}" "${CVFS_PLUGINDIR:?}" "${CVFS_SOURCE_DIR:?}"
SCRATCH=$(mktemp -d /tmp/cvfs-cli-test.XXXXXX)
CONF=$SCRATCH/conf
mkdir -p "$CONF/volumes" "$SCRATCH/run"
cat > "$CONF/cvfs.toml" <<TOML
[plugins]
dirs = ["$CVFS_PLUGINDIR"]
[paths]
run_dir = "$SCRATCH/run"
TOML

cleanup() {
    # Detach loop devices still attached to this test's block files.
    for dev in $(losetup -j "$SCRATCH" -O NAME -n 2>/dev/null || true); do losetup -d "$dev" || true; done
    for f in "$SCRATCH"/*.img; do
        [ -e "$f" ] || continue
        for dev in $(losetup -j "$f" -O NAME -n 2>/dev/null); do losetup -d "$dev" || true; done
    done
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

cvfs() { "$CVFS_BIN" -c "$CONF" "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_exit CODE COMMAND...: runs the command, requires that exit code;
# its stdout+stderr are left in $SCRATCH/out.
expect_exit() {
    local want=$1; shift
    local got=0
    "$@" > "$SCRATCH/out" 2>&1 || got=$?
    if [ "$got" != "$want" ]; then
        cat "$SCRATCH/out" >&2
        fail "'$*' exited $got, expected $want"
    fi
}

# expect_output TEXT: the last command's output contains TEXT.
expect_output() {
    grep -qF -- "$1" "$SCRATCH/out" || { cat "$SCRATCH/out" >&2; fail "output lacks: $1"; }
}

# A persistent volume in a block file, unlocked by a key file, no filesystem.
make_keyfile_volume() {
    local name=$1 size=${2:-32M}
    printf 'key-of-%s-%s' "$name" "$RANDOM$RANDOM" > "$SCRATCH/$name.key"
    chmod 600 "$SCRATCH/$name.key"
    cat > "$CONF/volumes/$name.toml" <<TOML
volume = "$name"
dev = "$SCRATCH/$name.img"

[encrypt.passphrase]
key_file = "$SCRATCH/$name.key"

[device]
size = "$size"
TOML
}
