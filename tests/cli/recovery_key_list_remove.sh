# `cvfs recovery-key list` and `cvfs recovery-key remove`: recovery keys are
# the keyslots no token names; removing one leaves the provider's key
# working, and the provider's own keyslot is refused. `recovery-key add` is
# the new spelling of add-recovery-key.
. "$(dirname "$0")/common.sh"
make_keyfile_volume vault
expect_exit 0 cvfs init --yes vault
printf 'first emergency passphrase' > "$SCRATCH/r1.key"
printf 'second emergency passphrase' > "$SCRATCH/r2.key"
chmod 600 "$SCRATCH/r1.key" "$SCRATCH/r2.key"

expect_exit 0 cvfs recovery-key list vault
expect_output "vault has no recovery keys"
expect_exit 0 cvfs add-recovery-key vault --key-file "$SCRATCH/r1.key"
expect_exit 0 cvfs recovery-key add vault --key-file "$SCRATCH/r2.key"
expect_output "in keyslot 2"
expect_exit 0 cvfs recovery-key list vault
expect_output "1        argon2id"
expect_output "2        argon2id"
[ "$(cvfs recovery-key list vault --json | python3 -c 'import json,sys; print([k["keyslot"] for k in json.load(sys.stdin)["recovery_keys"]])')" = "[1, 2]" ] ||
    fail "recovery-key list --json"

expect_exit 4 cvfs recovery-key remove vault 0
expect_output "keyslot 0 is not a recovery key but the provider's key"
expect_exit 3 cvfs recovery-key remove vault 7
expect_output "has no keyslot 7"
expect_exit 2 cvfs recovery-key remove vault one

expect_exit 0 cvfs recovery-key remove vault 1
expect_output "removed the recovery key in keyslot 1 of vault"
if cryptsetup open --test-passphrase --key-file "$SCRATCH/r1.key" "$SCRATCH/vault.img" 2>/dev/null; then
    fail "the removed recovery key still opens the volume"
fi
cryptsetup open --test-passphrase --key-file "$SCRATCH/r2.key" "$SCRATCH/vault.img" || fail "the other recovery key was lost"
cryptsetup open --test-passphrase --key-file "$SCRATCH/vault.key" "$SCRATCH/vault.img" || fail "the provider's key was lost"

# When the provider's key no longer opens its keyslot, the recovery key may be the
# only way in: removing it is refused.
cp -p "$SCRATCH/vault.key" "$SCRATCH/vault.key.good"
printf 'not the key' > "$SCRATCH/vault.key"
expect_exit 1 cvfs recovery-key remove vault 2
expect_output "the recovery key may be the only key left"
cryptsetup open --test-passphrase --key-file "$SCRATCH/r2.key" "$SCRATCH/vault.img" || fail "a refused remove removed the key"
