# `cvfs enroll`: a volume whose file now names another key provider is not
# taken for a swapped header but pointed to enroll; enroll unlocks with the
# recovery key, gives the new provider its keyslot and the token, keeps the
# old provider's keyslot unless told to remove it, and the volume is ready.
. "$(dirname "$0")/common.sh"
opens_with() { cryptsetup open --test-passphrase --key-file "$2" "$SCRATCH/$1.img" 2>/dev/null; }
keyslots() { cryptsetup luksDump "$SCRATCH/$1.img" | sed -n '/^Keyslots:/,/^Tokens:/p' | grep -oE '^  [0-9]+: luks2' | grep -oE '^  [0-9]+' | tr -d ' ' | tr '\n' ' '; }
# to_keyfile NAME: the volume file names the keyfile provider instead of passphrase.
to_keyfile() {
    cat > "$CONF/volumes/$1.toml" <<TOML
volume = "$1"
dev = "$SCRATCH/$1.img"
[encrypt.keyfile]
key_file = "$SCRATCH/keys/$1.machine"
[device]
size = "32M"
TOML
}
mkdir -m 700 "$SCRATCH/keys"
printf 'the recovery passphrase' > "$SCRATCH/recovery.key"
chmod 600 "$SCRATCH/recovery.key"

for name in keep drop; do
    make_keyfile_volume "$name"
    expect_exit 0 cvfs init --yes "$name"
    expect_exit 0 cvfs recovery-key add "$name" --key-file "$SCRATCH/recovery.key"
    to_keyfile "$name"
done

# The provider changed in the file: show and open say what to do.
expect_exit 0 cvfs show keep
expect_output "made with key provider 'passphrase' and its volume file now names 'keyfile'"
expect_output "cvfs enroll keep --recovery-key-file FILE"
expect_exit 1 cvfs open keep
expect_output "volume 'keep' was made with key provider 'passphrase', but $CONF/volumes/keep.toml now names 'keyfile'"
grep -q "swapped" "$SCRATCH/out" && fail "a provider change is reported as a swapped header"
expect_exit 2 cvfs enroll keep
[ "$(keyslots keep)" = "0 1 " ] || fail "refused commands changed the keyslots: $(keyslots keep)"

# Enroll, keeping the old keyslot.
expect_exit 0 cvfs enroll keep --recovery-key-file "$SCRATCH/recovery.key"
expect_output "enrolled keep with provider 'keyfile' in keyslot 2"
expect_output "keyslot 0 (the old provider's) stays"
opens_with keep "$SCRATCH/keys/keep.machine" || fail "the new provider's key does not open keep"
opens_with keep "$SCRATCH/keep.key" || fail "the kept old keyslot does not open keep"
opens_with keep "$SCRATCH/recovery.key" || fail "the recovery key no longer opens keep"
expect_exit 0 cvfs show keep
expect_output "ready"
expect_exit 0 cvfs recovery-key remove keep 0
! opens_with keep "$SCRATCH/keep.key" || fail "the old provider's keyslot was not removed"

# Enroll, removing the old keyslot (asked: --yes without a terminal).
expect_exit 4 cvfs enroll drop --recovery-key-file "$SCRATCH/recovery.key" --remove-old-keyslot </dev/null
expect_output "--yes"
expect_exit 0 cvfs enroll drop --recovery-key-file "$SCRATCH/recovery.key" --remove-old-keyslot --yes
expect_output "keyslot 0 removed"
! opens_with drop "$SCRATCH/drop.key" || fail "the old provider's key still opens drop"
opens_with drop "$SCRATCH/keys/drop.machine" || fail "the new provider's key does not open drop"
[ "$(keyslots drop)" = "1 2 " ] || fail "expected the recovery keyslot and the new one, got: $(keyslots drop)"
echo "enroll moved both volumes"
