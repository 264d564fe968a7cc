# init formats a new block file and leaves the volume "ready"; the header
# carries the cvfs token, and the loop device is detached again.
. "$(dirname "$0")/common.sh"
make_keyfile_volume vault

expect_exit 0 cvfs show vault
expect_output "missing device"

expect_exit 0 cvfs init --yes vault
expect_output "initialised vault"
[ -f "$SCRATCH/vault.img" ] || fail "block file not created"
[ -z "$(losetup -j "$SCRATCH/vault.img" -n)" ] || fail "loop device left attached"

expect_exit 0 cvfs show vault
expect_output "ready"
cryptsetup luksDump "$SCRATCH/vault.img" > "$SCRATCH/dump"
grep -q "cvfs" "$SCRATCH/dump" || fail "no cvfs token in the header"
grep -q "pbkdf2\|argon2id" "$SCRATCH/dump" || fail "no keyslot"
