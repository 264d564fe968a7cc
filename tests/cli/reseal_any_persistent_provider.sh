# `cvfs reseal` is not TPM-specific: a passphrase volume whose key file was
# replaced is resealed to the new passphrase with the old one as recovery
# key (the provider alone reseals while its own key still opens the volume:
# see tests/tpm); a temporary volume and a recovery key file others may read
# are refused.
. "$(dirname "$0")/common.sh"
make_keyfile_volume vault
expect_exit 0 cvfs init --yes vault
keyslots() { cryptsetup luksDump "$SCRATCH/vault.img" | sed -n '/^Keyslots:/,/^Tokens:/p' | grep -oE '^  [0-9]+: luks2' | grep -oE '^  [0-9]+' | tr -d ' ' | tr '\n' ' '; }

# The operator rotates the passphrase file; the old one becomes the recovery key.
cp -p "$SCRATCH/vault.key" "$SCRATCH/old.key"
printf 'a brand new passphrase' > "$SCRATCH/vault.key"
expect_exit 1 cvfs reseal vault
expect_output "does not open keyslot 0"
expect_output "--recovery-key-file"
[ "$(keyslots)" = "0 " ] || fail "a failed reseal changed the keyslots: $(keyslots)"

chmod 644 "$SCRATCH/old.key"
expect_exit 1 cvfs reseal vault --recovery-key-file "$SCRATCH/old.key"
expect_output "may be read or replaced by others"
chmod 600 "$SCRATCH/old.key"
expect_exit 0 cvfs reseal vault --recovery-key-file "$SCRATCH/old.key"
expect_output "resealed vault: keyslot 1 replaces keyslot 0"
[ "$(keyslots)" = "1 " ] || fail "expected keyslot 1 only, got: $(keyslots)"

expect_exit 0 cvfs show vault
expect_output "ready"

cat > "$CONF/volumes/scratch.toml" <<TOML
volume = "scratch"
dev = "$SCRATCH/scratch.img"
[encrypt.otp]
[device]
size = "16M"
TOML
expect_exit 1 cvfs reseal scratch
expect_output "is temporary"
expect_exit 3 cvfs reseal nosuch
expect_output "unknown volume 'nosuch'"
