# `cvfs erase`: every keyslot and token destroyed after confirmation (--yes
# without a terminal), so no key opens the volume any more; refused without
# --yes off a terminal and for a header that is not this volume's; a
# temporary volume needs nothing.
. "$(dirname "$0")/common.sh"
make_keyfile_volume vault
expect_exit 0 cvfs init --yes vault
printf 'an emergency passphrase' > "$SCRATCH/recovery.key"
chmod 600 "$SCRATCH/recovery.key"
expect_exit 0 cvfs add-recovery-key vault --key-file "$SCRATCH/recovery.key"

expect_exit 4 cvfs erase vault < /dev/null
expect_output "add --yes to confirm"
cryptsetup open --test-passphrase --key-file "$SCRATCH/vault.key" "$SCRATCH/vault.img" || fail "a refused erase changed the header"

# Another volume's file naming this device: its header is not that volume's.
sed 's/^volume = "vault"/volume = "intruder"/' "$CONF/volumes/vault.toml" > "$CONF/volumes/intruder.toml"
expect_exit 1 cvfs erase intruder --yes
cryptsetup open --test-passphrase --key-file "$SCRATCH/vault.key" "$SCRATCH/vault.img" || fail "erase of a wrong volume changed the header"
rm "$CONF/volumes/intruder.toml"

expect_exit 0 cvfs erase vault --yes < /dev/null
expect_output "erased vault: 2 keyslots destroyed"
for key in vault.key recovery.key; do
    if cryptsetup open --test-passphrase --key-file "$SCRATCH/$key" "$SCRATCH/vault.img" 2>/dev/null; then
        fail "$key still opens the erased volume"
    fi
done
cryptsetup luksDump "$SCRATCH/vault.img" > "$SCRATCH/dump"
if sed -n '/^Keyslots:/,/^Digests:/p' "$SCRATCH/dump" | grep -qE '^  [0-9]+: luks2'; then fail "a keyslot survived"; fi
if sed -n '/^Tokens:/,/^Digests:/p' "$SCRATCH/dump" | grep -qE '^  [0-9]+: '; then fail "a token survived"; fi
expect_exit 1 cvfs erase vault --yes

cat > "$CONF/volumes/scratch.toml" <<TOML
volume = "scratch"
dev = "$SCRATCH/scratch.img"
[encrypt.otp]
[device]
size = "16M"
TOML
expect_exit 0 cvfs erase scratch < /dev/null
expect_output "nothing to erase"
