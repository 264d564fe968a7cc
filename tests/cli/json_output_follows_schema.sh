# --json follows docs/json.md: one document with "version": 1; show lists each
# volume with its file, auto_open, mapper path and LUKS UUID (null when
# absent, never "" or left out) beside the broken files with their errors
# (file, line, column, message, hint); config check, init, open and close give
# each volume's outcome and error (kind, message, hint) with the same exit
# code as without --json, and no error text on stderr. Read with python3's
# own json module.
. "$(dirname "$0")/common.sh"
make_keyfile_volume vault
make_keyfile_volume boot
sed -i '/^dev = /a auto_open = true' "$CONF/volumes/boot.toml"
make_keyfile_volume refused
sed -i '/^key_file = /a bogus = 1' "$CONF/volumes/refused.toml"
printf 'volume = "typo"\ndev = "%s/typo.img"\nauto_oppen = true\n' "$SCRATCH" > "$CONF/volumes/typo.toml"

check() {  # check NAME FILE PYTHON: runs PYTHON with `doc` loaded from FILE
    python3 -c "import json, sys
doc = json.load(open(sys.argv[1]))
assert doc['version'] == 1, doc
$3" "$2" || { cat "$2" >&2; fail "$1"; }
}

# show, before init: no UUID, no node, no mapper, no filesystem.
expect_exit 3 cvfs show --json  # a broken file is a configuration error
cvfs show --json > "$SCRATCH/show.json" 2> "$SCRATCH/show.err" || true
check "show --json before init" "$SCRATCH/show.json" "
vols = {v['volume']: v for v in doc['volumes']}
assert sorted(vols) == ['boot', 'refused', 'vault'], sorted(vols)
keys = {'volume', 'file', 'auto_open', 'dev', 'node', 'backend', 'provider', 'temporary', 'fs',
        'integrity', 'state', 'detail', 'hint', 'adoptable', 'mapper', 'uuid', 'mount_points',
        'rollback_counter', 'generation'}
for v in vols.values():
    assert set(v) >= keys, keys - set(v)
    for key, value in v.items():
        assert value != '', (v['volume'], key)
v = vols['vault']
assert v['file'] == '$CONF/volumes/vault.toml', v['file']
assert v['auto_open'] is False and vols['boot']['auto_open'] is True, v
assert v['uuid'] is None and v['mapper'] is None and v['node'] is None and v['fs'] is None, v
assert v['mount_points'] == [], v
assert v['rollback_counter'] == 'none' and v['generation'] is None, v
assert vols['refused']['state'] == 'config error', vols['refused']
(broken,) = doc['broken_files']
assert broken['file'] == '$CONF/volumes/typo.toml', broken
for error in broken['errors']:
    assert set(error) == {'line', 'column', 'message', 'hint'}, error
(error,) = [e for e in broken['errors'] if 'auto_oppen' in e['message']]
assert error['line'] == 3 and error['column'] == 1, error
assert 'auto_oppen' in error['message'] and not error['message'].startswith('$CONF'), error
assert 'hint' in error and (error['hint'] is None or 'auto_open' in error['hint']), error
assert doc['errors'] == [], doc['errors']
"
if grep -q "auto_oppen" "$SCRATCH/show.err"; then fail "show --json also printed the broken file on stderr"; fi

# An unknown name: an error of kind config at the top, exit code 3 as without --json.
expect_exit 3 cvfs show nosuch
rc=0; cvfs show --json nosuch > "$SCRATCH/unknown.json" 2>/dev/null || rc=$?
[ "$rc" = 3 ] || fail "show --json of an unknown volume exited $rc, not 3"
check "show --json of an unknown volume" "$SCRATCH/unknown.json" "
assert doc['volumes'] == [], doc
(error,) = doc['errors']
assert error['kind'] == 'config' and 'nosuch' in error['message'] and error['hint'], error
"

# config check: each volume's outcome, the refused table as an error.
rc=0; cvfs config check --json > "$SCRATCH/check.json" 2> "$SCRATCH/check.err" || rc=$?
text_rc=0; cvfs config check > /dev/null 2>&1 || text_rc=$?
[ "$rc" = "$text_rc" ] && [ "$rc" != 0 ] || fail "config check --json exited $rc, without --json $text_rc"
check "config check --json" "$SCRATCH/check.json" "
vols = {v['volume']: v for v in doc['volumes']}
assert vols['vault']['outcome'] == 'ok' and vols['vault']['error'] is None, vols['vault']
assert vols['vault']['file'] == '$CONF/volumes/vault.toml', vols['vault']
r = vols['refused']
assert r['outcome'] == 'failed', r
assert r['error']['kind'] == 'config' and 'bogus' in r['error']['message'] and r['error']['hint'], r
assert doc['broken_files'][0]['file'] == '$CONF/volumes/typo.toml', doc['broken_files']
"
if grep -q "error:" "$SCRATCH/check.err"; then cat "$SCRATCH/check.err" >&2; fail "config check --json printed errors on stderr"; fi

# init: the outcome, then show has the LUKS UUID cryptsetup reads.
cvfs init --yes --json vault > "$SCRATCH/init.json" 2> "$SCRATCH/init.err" || { cat "$SCRATCH/init.err" >&2; fail "init --json failed"; }
check "init --json" "$SCRATCH/init.json" "
(v,) = doc['volumes']
assert v == {'volume': 'vault', 'file': '$CONF/volumes/vault.toml', 'outcome': 'initialised', 'error': None}, v
"
uuid=$(cryptsetup luksUUID "$SCRATCH/vault.img")
cvfs show --json vault > "$SCRATCH/ready.json" 2>/dev/null || true
check "show --json after init" "$SCRATCH/ready.json" "
(v,) = doc['volumes']
assert v['state'] == 'ready', v
assert v['uuid'] == '$uuid', v['uuid']
"

# open and close: each volume's outcome; open fails here when the kernel has
# no device-mapper, and the exit code is that of the text output either way.
rc=0; cvfs open --json vault nosuch > "$SCRATCH/open.json" 2> "$SCRATCH/open.err" || rc=$?
text_rc=0; cvfs open vault nosuch > /dev/null 2>&1 || text_rc=$?
[ "$rc" = "$text_rc" ] || fail "open --json exited $rc, without --json $text_rc"
[ "$rc" = 3 ] || fail "open of an unknown volume exited $rc, not 3"
check "open --json" "$SCRATCH/open.json" "
(v,) = doc['volumes']
assert v['volume'] == 'vault' and v['file'] == '$CONF/volumes/vault.toml', v
if v['outcome'] == 'opened':
    assert v['error'] is None and v['mapper'] == '/dev/mapper/vault' and v['mount_point'] is None, v
else:
    assert v['outcome'] == 'failed' and v['mapper'] is None and v['mount_point'] is None, v
    e = v['error']
    assert set(e) == {'kind', 'message', 'hint'} and e['kind'] and e['message'], e
(error,) = doc['errors']
assert error['kind'] == 'config' and 'nosuch' in error['message'], error
"
if grep -q "error:" "$SCRATCH/open.err"; then cat "$SCRATCH/open.err" >&2; fail "open --json printed errors on stderr"; fi
rc=0; cvfs close --json vault > "$SCRATCH/close.json" 2>/dev/null || rc=$?
text_rc=0; cvfs close vault > /dev/null 2>&1 || text_rc=$?
[ "$rc" = "$text_rc" ] || fail "close --json exited $rc, without --json $text_rc"
check "close --json" "$SCRATCH/close.json" "
(v,) = doc['volumes']
assert v['volume'] == 'vault' and v['outcome'] in ('closed', 'failed'), v
assert (v['error'] is None) == (v['outcome'] == 'closed'), v
"

# plugins: the list under its key, null for what is absent.
cvfs plugins --json > "$SCRATCH/plugins.json" 2>/dev/null || true
check "plugins --json" "$SCRATCH/plugins.json" "
names = {p['name'] for p in doc['plugins']}
assert {'loop', 'passphrase'} <= names, names
for p in doc['plugins']:
    assert p['error'] is None or p['error'], p
"

# The key is in none of it.
secret=$(cat "$SCRATCH/vault.key")
if grep -qF -- "$secret" "$SCRATCH"/*.json; then fail "the key appears in the JSON output"; fi
