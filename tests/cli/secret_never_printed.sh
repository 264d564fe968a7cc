# The key never shows up in any output of any command, verbose or JSON.
. "$(dirname "$0")/common.sh"
make_keyfile_volume vault
secret=$(cat "$SCRATCH/vault.key")
hex=$(printf '%s' "$secret" | od -An -tx1 | tr -d ' \n')
b64=$(printf '%s' "$secret" | base64 -w0)

{
    cvfs -v config check || true
    cvfs -v init --yes vault || true
    cvfs -v show || true
    cvfs -v show --json || true
    cvfs -v open vault || true     # fails on a kernel without device-mapper; must not leak either
    cvfs -v close vault || true
    cvfs plugins --json || true
} > "$SCRATCH/all" 2>&1
cryptsetup luksDump --dump-json-metadata "$SCRATCH/vault.img" >> "$SCRATCH/all" 2>&1 || true

for form in "$secret" "$hex" "$b64"; do
    if grep -qF -- "$form" "$SCRATCH/all"; then fail "the secret appears in the output"; fi
done
grep -q "vault" "$SCRATCH/all" || fail "the commands printed nothing about the volume"
