# `cvfs header backup` and `cvfs header restore`: a wiped header comes back
# from its backup and the key opens the volume again; the backup file is
# root-only and never overwritten; a restore checks the file first (a file
# that is no header, another volume's backup) and asks --force when the
# device's header cannot be read to compare.
. "$(dirname "$0")/common.sh"
make_keyfile_volume vault
make_keyfile_volume other
expect_exit 0 cvfs init --yes vault
expect_exit 0 cvfs init --yes other

expect_exit 0 cvfs header backup vault "$SCRATCH/vault.header"
expect_output "header of vault backed up to $SCRATCH/vault.header"
mode=$(stat -c %a "$SCRATCH/vault.header")
[ $((0$mode & 077)) = 0 ] || fail "the backup is mode $mode: others may read it"
cmp -s <(cryptsetup luksDump "$SCRATCH/vault.header") <(cryptsetup luksDump "$SCRATCH/vault.img") ||
    fail "the backup does not hold the volume's header"
expect_exit 1 cvfs header backup vault "$SCRATCH/vault.header"
expect_output "does not exist yet"
expect_exit 0 cvfs header backup other "$SCRATCH/other.header"

# Not a header, another volume's, a missing file: refused, the header untouched.
head -c 65536 /dev/urandom > "$SCRATCH/junk.header"
expect_exit 1 cvfs header restore vault "$SCRATCH/junk.header"
expect_output "the header backup $SCRATCH/junk.header is refused"
expect_exit 1 cvfs header restore vault "$SCRATCH/other.header"
expect_output "is not volume 'vault''s"
expect_exit 3 cvfs header restore vault "$SCRATCH/missing.header"
cryptsetup open --test-passphrase --key-file "$SCRATCH/vault.key" "$SCRATCH/vault.img" ||
    fail "a refused restore changed the header"

# Both binary headers and JSON areas wiped: the data cannot be opened.
dd if=/dev/zero of="$SCRATCH/vault.img" bs=16384 count=2 conv=notrunc status=none
if cryptsetup open --test-passphrase --key-file "$SCRATCH/vault.key" "$SCRATCH/vault.img" 2>/dev/null; then
    fail "the wiped header still opens"
fi
expect_exit 4 cvfs header restore vault "$SCRATCH/vault.header"
expect_output "add --force"
expect_exit 0 cvfs header restore --force vault "$SCRATCH/vault.header"
expect_output "header of vault restored"
cryptsetup open --test-passphrase --key-file "$SCRATCH/vault.key" "$SCRATCH/vault.img" ||
    fail "the restored header does not open with the volume's key"
expect_exit 0 cvfs show vault
expect_output "ready"
# Restoring the same header again needs no --force: same UUID, same volume.
expect_exit 0 cvfs header restore vault "$SCRATCH/vault.header"
