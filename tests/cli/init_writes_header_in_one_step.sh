# init makes the whole header (keyslot 0 and the cvfs token included) in
# memory and writes it to the device in one step: cvfs killed at any point
# before that write leaves the device as it was, and a plain rerun of init
# (no --force) makes the volume.
. "$(dirname "$0")/common.sh"
command -v gdb >/dev/null || fail "gdb is not installed (make deps installs it)"
make_keyfile_volume vault
img=$SCRATCH/vault.img

for symbol in crypt_format crypt_keyslot_add_by_volume_key crypt_token_json_set crypt_header_restore; do
    rm -f "$img"
    gdb -q -batch -nx --readnever -ex 'set breakpoint pending on' -ex 'set startup-with-shell off' \
        -ex "break $symbol" -ex run -ex 'signal SIGKILL' \
        --args "$CVFS_BIN" -c "$CONF" init --yes vault > "$SCRATCH/gdb.log" 2>&1 || true
    grep -qE "Breakpoint 1(\.[0-9]+)?, " "$SCRATCH/gdb.log" || { cat "$SCRATCH/gdb.log" >&2; fail "init never reached $symbol"; }
    grep -qE "terminated with signal SIGKILL" "$SCRATCH/gdb.log" || { cat "$SCRATCH/gdb.log" >&2; fail "init was not killed at $symbol"; }
    if [ -e "$img" ] && cryptsetup isLuks "$img"; then
        cryptsetup luksDump "$img" >&2 || true
        fail "killed at $symbol, init left a LUKS header on the device before its keyslot and token were complete"
    fi
    expect_exit 0 cvfs init --yes vault
    expect_exit 0 cvfs show vault
    expect_output "ready"
    echo "killed at $symbol: nothing written; the rerun made the volume"
done
