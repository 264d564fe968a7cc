# `show` gives ordinary mistakes their own states: a misspelt provider, maker
# or backend, a bad `size` and a plugin refusing its table are `config error`,
# a device cvfs may not read is `unreadable device` ("cvfs must run as root"
# when cvfs is not root); none of them is `invalid header`, the state of a
# header that fails the allow-list. The JSON is read with python3's own json.
. "$(dirname "$0")/common.sh"
make_keyfile_volume good
for name in provider maker backend size table; do make_keyfile_volume "$name"; done
sed -i 's/^\[encrypt.passphrase\]/[encrypt.passfrase]/' "$CONF/volumes/provider.toml"
sed -i '/^dev = /a makefs = "ext5"' "$CONF/volumes/maker.toml"
sed -i 's/^\[device\]/[device]\nbackend = "lop"/' "$CONF/volumes/backend.toml"
sed -i 's/^size = .*/size = "12Q"/' "$CONF/volumes/size.toml"
sed -i '/^key_file = /a bogus = 1' "$CONF/volumes/table.toml"
grep -q 'backend = "lop"' "$CONF/volumes/backend.toml" || fail "the backend was not misspelt"

cvfs show --json > "$SCRATCH/show.json" 2> "$SCRATCH/show.err" || true
python3 - "$SCRATCH/show.json" <<'PY' || fail "show --json does not give the configuration errors their state"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["version"] == 1, doc
vols = {v["volume"]: v for v in doc["volumes"]}
assert vols["good"]["state"] == "missing device", vols["good"]
assert vols["good"]["hint"] is None, vols["good"]
words = {"provider": "passfrase", "maker": "ext5", "backend": "lop", "size": "size", "table": "bogus"}
for name, word in words.items():
    v = vols[name]
    assert v["state"] == "config error", (name, v)
    assert word in v["detail"], (name, v["detail"])
    assert isinstance(v["hint"], str) and v["hint"], (name, v)
PY

# The table says the same, and the detail lines say what is wrong.
expect_exit 0 cvfs show provider maker backend size table
if grep -q "invalid header" "$SCRATCH/out"; then cat "$SCRATCH/out" >&2; fail "a configuration error is shown as an invalid header"; fi
[ "$(grep -c "config error" "$SCRATCH/out")" = 5 ] || { cat "$SCRATCH/out" >&2; fail "not five config errors"; }
expect_output "no fs maker plugin 'ext5'"
expect_output "hint:"

# A device cvfs may not read. As root, cvfs runs as nobody; otherwise the
# block file is made unreadable to its owner.
truncate -s 32M "$SCRATCH/good.img"
chmod 600 "$SCRATCH/good.img"
chmod 755 "$SCRATCH"
if [ "$(id -u)" = 0 ]; then
    as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
else
    chmod 000 "$SCRATCH/good.img"
    as_user() { "$@"; }
fi
as_user "$CVFS_BIN" -c "$CONF" show --json good > "$SCRATCH/user.json" 2> "$SCRATCH/user.err" || true
python3 - "$SCRATCH/user.json" <<'PY' || { cat "$SCRATCH/user.json" "$SCRATCH/user.err" >&2; fail "a device cvfs may not read is not 'unreadable device'"; }
import json, sys
doc = json.load(open(sys.argv[1]))
(v,) = doc["volumes"]
assert v["state"] == "unreadable device", v
assert v["detail"].startswith("cvfs must run as root"), v["detail"]
assert v["hint"], v
PY
as_user "$CVFS_BIN" -c "$CONF" show good > "$SCRATCH/out" 2>&1 || true
expect_output "unreadable device"
expect_output "cvfs must run as root"
