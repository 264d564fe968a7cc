# `cvfs status VOL` shows the header's parameters and what each keyslot and
# token is for, in text and JSON; an unknown volume is a configuration error.
. "$(dirname "$0")/common.sh"
make_keyfile_volume vault
expect_exit 0 cvfs init --yes vault
printf 'an emergency passphrase' > "$SCRATCH/recovery.key"
chmod 600 "$SCRATCH/recovery.key"
expect_exit 0 cvfs add-recovery-key vault --key-file "$SCRATCH/recovery.key"

expect_exit 0 cvfs status vault
for want in "state         ready" "cipher        aes-xts-plain64" "key size      512 bits" \
            "sector size   4096 bytes" "integrity     none" "allow-list    passes" \
            "keyslot 0     cvfs provider key (passphrase), argon2id" "keyslot 1     recovery key, argon2id" \
            "token 0       cvfs (volume vault, provider passphrase, ready), keyslots 0" "mapping       -"; do
    expect_output "$want"
done
uuid=$(cryptsetup luksUUID "$SCRATCH/vault.img")
expect_output "LUKS UUID     $uuid"

cvfs status vault --json > "$SCRATCH/status.json" || fail "status --json failed"
python3 - "$SCRATCH/status.json" "$uuid" <<'PY' || fail "status --json is not what it should be"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["version"] == 1 and s["volume"] == "vault" and s["state"] == "ready", s
assert s["mapper"] is None and s["mount_points"] == [], s
h = s["header"]
assert h["uuid"] == sys.argv[2] and h["cipher"] == "aes-xts-plain64" and h["key_bits"] == 512, h
assert h["sector_size"] == 4096 and h["integrity"] is None and h["allow_list_error"] is None, h
assert [(k["id"], k["purpose"], k["token"]) for k in h["keyslots"]] == [(0, "provider key", 0), (1, "recovery key", None)], h
assert [(t["id"], t["type"], t["keyslots"], t["provider"]) for t in h["tokens"]] == [(0, "cvfs", [0], "passphrase")], h
PY

make_keyfile_volume fresh
expect_exit 0 cvfs status fresh
expect_output "state         missing device"
expect_exit 3 cvfs status nosuch
expect_output "unknown volume 'nosuch'"
