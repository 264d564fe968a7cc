# init writes cvfs's mark (label and subsystem) together with the first
# keyslot and the token. A header with the mark but without them was changed
# after cvfs wrote it: show says so, and init refuses it without --force,
# however empty the volume may look (the mark is unauthenticated).
. "$(dirname "$0")/common.sh"
make_keyfile_volume vault
expect_exit 0 cvfs init --yes vault
img=$SCRATCH/vault.img
uuid=$(cryptsetup luksUUID "$img")

# The token removed: the keyslot still opens.
cryptsetup token remove --token-id 0 "$img"
expect_exit 0 cvfs show vault
expect_output "the header was changed"
expect_exit 4 cvfs init --yes vault
expect_output "without the keyslot and token cvfs writes with it"
expect_output "--force"
[ "$(cryptsetup luksUUID "$img")" = "$uuid" ] || fail "init rewrote the header without --force"

# The keyslot removed too: what crypt_format alone would write.
cryptsetup luksKillSlot -q "$img" 0
cryptsetup luksDump "$img" | grep -q "Subsystem:.*cvfs" || fail "the header lost its subsystem"
expect_exit 0 cvfs show vault
expect_output "the header was changed"
expect_exit 4 cvfs init --yes vault
expect_output "without the keyslot and token cvfs writes with it"
[ "$(cryptsetup luksUUID "$img")" = "$uuid" ] || fail "init rewrote the header without --force"

# --force formats it anew.
expect_exit 0 cvfs init --yes --force vault
[ "$(cryptsetup luksUUID "$img")" != "$uuid" ] || fail "init --force did not write a new header"
expect_exit 0 cvfs show vault
expect_output "ready"
