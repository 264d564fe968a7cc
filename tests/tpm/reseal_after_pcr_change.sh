# `cvfs reseal` on a TPM volume in a block file (no device-mapper needed):
# reseal while the PCRs match; a PCR change makes the TPM refuse and reseal
# say which PCR; a recovery key added with `cvfs add-recovery-key` then
# reseals to the new PCR state, after which the TPM unlocks again. The old
# keyslot is gone each time, the recovery keyslot stays.
. "$(dirname "$0")/../cli/common.sh"
. "$(dirname "$0")/swtpm.sh"
trap 'stop_swtpm; cleanup' EXIT
start_swtpm "$SCRATCH/tpm"

cat > "$CONF/volumes/vault.toml" <<TOML
volume = "vault"
dev = "$SCRATCH/vault.img"

[encrypt.tpm2]
tcti = "$SWTPM_TCTI"
pcrs = "sha256:7,9"

[device]
size = "32M"
TOML

keyslots() { cryptsetup luksDump "$SCRATCH/vault.img" | sed -n '/^Keyslots:/,/^Tokens:/p' | grep -oE '^  [0-9]+: luks2' | grep -oE '^  [0-9]+' | tr -d ' ' | tr '\n' ' '; }

expect_exit 0 cvfs plugins
expect_output "tpm"
expect_output "key-tpm.so"

expect_exit 0 cvfs init --yes vault
expect_exit 0 cvfs show vault
expect_output "tpm"
expect_output "ready"
cryptsetup luksDump --dump-json-metadata "$SCRATCH/vault.img" > "$SCRATCH/json" 2>/dev/null ||
    cryptsetup luksDump "$SCRATCH/vault.img" > "$SCRATCH/json"
grep -q 'tpm.private' "$SCRATCH/json" || fail "no sealed key in the token"
[ "$(keyslots)" = "0 " ] || fail "expected keyslot 0 only, got: $(keyslots)"

# PCRs unchanged: the TPM unlocks, a new key replaces keyslot 0.
expect_exit 0 cvfs reseal vault
expect_output "resealed vault: keyslot 1 replaces keyslot 0"
[ "$(keyslots)" = "1 " ] || fail "expected keyslot 1 only, got: $(keyslots)"

# A recovery key: a file others can read is refused, a 0600 one is added.
printf 'correct horse battery staple' > "$SCRATCH/recovery.key"
chmod 644 "$SCRATCH/recovery.key"
expect_exit 1 cvfs add-recovery-key vault --key-file "$SCRATCH/recovery.key"
expect_output "may be read or replaced by others"
chmod 600 "$SCRATCH/recovery.key"
expect_exit 0 cvfs add-recovery-key vault --key-file "$SCRATCH/recovery.key"
expect_output "added a recovery key to vault in keyslot 0"

# A boot component measures something new into PCR 9.
tpm2_pcrextend -T "$SWTPM_TCTI" 9:sha256=$(printf '%064d' 9) || fail "tpm2_pcrextend failed"
expect_exit 1 cvfs reseal vault
expect_output "PCR mismatch: sha256 PCR 9 differs from the values at seal time"
expect_output "--recovery-key-file"
[ "$(keyslots)" = "0 1 " ] || fail "a refused reseal changed the keyslots: $(keyslots)"

# A wrong recovery key changes nothing; the right one reseals.
printf 'not the recovery key' > "$SCRATCH/wrong.key"
chmod 600 "$SCRATCH/wrong.key"
expect_exit 1 cvfs reseal vault --recovery-key-file "$SCRATCH/wrong.key"
expect_output "opens none of its keyslots"
expect_exit 0 cvfs reseal vault --recovery-key-file "$SCRATCH/recovery.key"
expect_output "resealed vault: keyslot 2 replaces keyslot 1"
[ "$(keyslots)" = "0 2 " ] || fail "expected the recovery keyslot 0 and the new keyslot 2, got: $(keyslots)"

# The new seal matches today's PCRs: the TPM unlocks again.
expect_exit 0 cvfs reseal vault
expect_output "resealed vault: keyslot 1 replaces keyslot 2"
expect_exit 0 cvfs show vault
expect_output "ready"
echo "PASS"
