# A volume whose key a command prints (provider "exec"): init enrols exactly
# the command's standard output (argon2id, since it may be a passphrase), the
# same output opens the keyslot, and a command that fails stops init without
# writing a header; its standard output never reaches the terminal or log.
. "$(dirname "$0")/common.sh"
cat > "$SCRATCH/print-key" <<'SH'
#!/bin/sh
echo "fetching the key of $CVFS_VOLUME" >&2
printf 'exec-key-%s\n' "$1"
SH
chmod 755 "$SCRATCH/print-key"
cat > "$CONF/volumes/vault.toml" <<TOML
volume = "vault"
dev = "$SCRATCH/vault.img"

[encrypt.exec]
command = "$SCRATCH/print-key"
args = ["s3cr3t"]

[device]
size = "32M"
TOML
expect_exit 0 cvfs config check
expect_exit 0 cvfs -v init --yes vault
expect_output "fetching the key of vault"
if grep -q "exec-key-s3cr3t" "$SCRATCH/out"; then fail "the command's standard output was printed"; fi
expect_exit 0 cvfs show vault
expect_output "ready"
printf 'exec-key-s3cr3t\n' > "$SCRATCH/expected.key"
cryptsetup open --test-passphrase --key-file "$SCRATCH/expected.key" "$SCRATCH/vault.img" \
    || fail "the command's output (newline included) does not open the keyslot"
printf 'exec-key-s3cr3t' > "$SCRATCH/trimmed.key"
if cryptsetup open --test-passphrase --key-file "$SCRATCH/trimmed.key" "$SCRATCH/vault.img" 2>/dev/null; then
    fail "the key was trimmed"
fi
cryptsetup luksDump "$SCRATCH/vault.img" | grep -q "PBKDF:.*argon2id" || fail "the keyslot is not argon2id"

# A command that fails: init stops before anything is written.
cat > "$CONF/volumes/broken.toml" <<TOML
volume = "broken"
dev = "$SCRATCH/broken.img"

[encrypt.exec]
command = "/bin/sh"
args = ["-c", "printf LEAKED; echo 'vault is sealed' >&2; exit 2"]

[device]
size = "32M"
TOML
expect_exit 1 cvfs init --yes broken
expect_output "vault is sealed"
expect_output "exit status 2"
if grep -q "LEAKED" "$SCRATCH/out"; then fail "the command's standard output was printed"; fi
if [ -e "$SCRATCH/broken.img" ] && cryptsetup isLuks "$SCRATCH/broken.img"; then fail "a header was written"; fi
