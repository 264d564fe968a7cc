# `cvfs enroll`: a volume whose file now names another key provider is not
# taken for a swapped header but pointed to enroll; enroll unlocks with the
# recovery key, gives the new provider its keyslot and the token, keeps the
# old provider's keyslot unless told to remove it, and the volume is ready.
# (Argon2 keyslots are slow: each check names the keyslot it tries.)
. "$(dirname "$0")/common.sh"
opens_with() { cryptsetup open --test-passphrase --key-slot "$2" --key-file "$3" "$SCRATCH/$1.img" 2>/dev/null; }
keyslots() { cryptsetup luksDump "$SCRATCH/$1.img" | sed -n '/^Keyslots:/,/^Tokens:/p' | grep -oE '^  [0-9]+: luks2' | grep -oE '^  [0-9]+' | tr -d ' ' | tr '\n' ' '; }
mkdir -m 700 "$SCRATCH/keys"
printf 'the recovery passphrase' > "$SCRATCH/recovery.key"
chmod 600 "$SCRATCH/recovery.key"

make_keyfile_volume vault
expect_exit 0 cvfs init --yes vault
expect_exit 0 cvfs recovery-key add vault --key-file "$SCRATCH/recovery.key"
# The operator moves the volume file from the passphrase provider to keyfile.
cat > "$CONF/volumes/vault.toml" <<TOML
volume = "vault"
dev = "$SCRATCH/vault.img"
[encrypt.keyfile]
key_file = "$SCRATCH/keys/vault.machine"
[device]
size = "32M"
TOML

# The provider changed in the file: show and open say what to do.
expect_exit 0 cvfs show vault
expect_output "made with key provider 'passphrase' and its volume file now names 'keyfile'"
expect_output "cvfs enroll vault --recovery-key-file FILE"
expect_exit 1 cvfs open vault
expect_output "volume 'vault' was made with key provider 'passphrase', but $CONF/volumes/vault.toml now names 'keyfile'"
grep -q "swapped" "$SCRATCH/out" && fail "a provider change is reported as a swapped header"
expect_exit 2 cvfs enroll vault
[ "$(keyslots vault)" = "0 1 " ] || fail "refused commands changed the keyslots: $(keyslots vault)"

# Enroll, keeping the old keyslot.
expect_exit 0 cvfs enroll vault --recovery-key-file "$SCRATCH/recovery.key"
expect_output "enrolled vault with provider 'keyfile' in keyslot 2"
expect_output "keyslot 0 (the old provider's) stays"
[ "$(keyslots vault)" = "0 1 2 " ] || fail "expected keyslots 0 1 2, got: $(keyslots vault)"
opens_with vault 2 "$SCRATCH/keys/vault.machine" || fail "the new provider's key does not open vault"
opens_with vault 0 "$SCRATCH/vault.key" || fail "the kept old keyslot does not open vault"
expect_exit 0 cvfs show vault
expect_output "ready"
expect_exit 0 cvfs recovery-key remove vault 0
[ "$(keyslots vault)" = "1 2 " ] || fail "the old provider's keyslot was not removed: $(keyslots vault)"

# Enroll again, removing the old keyslot (asked: --yes without a terminal).
expect_exit 4 cvfs enroll vault --recovery-key-file "$SCRATCH/recovery.key" --remove-old-keyslot </dev/null
expect_output "--yes"
[ "$(keyslots vault)" = "1 2 " ] || fail "a refused enroll changed the keyslots: $(keyslots vault)"
expect_exit 0 cvfs enroll vault --recovery-key-file "$SCRATCH/recovery.key" --remove-old-keyslot --yes
expect_output "enrolled vault with provider 'keyfile' in keyslot 0"
expect_output "keyslot 2 removed"
[ "$(keyslots vault)" = "0 1 " ] || fail "expected the new keyslot and the recovery one, got: $(keyslots vault)"
opens_with vault 0 "$SCRATCH/keys/vault.machine" || fail "the new provider's key does not open vault"
echo "enroll moved the volume"
