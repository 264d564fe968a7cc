# An init stopped right after crypt_format (the header has cvfs's label and
# subsystem, but no keyslot and no token yet) is cvfs's own interrupted init:
# show says so, and init finishes it without --force.
. "$(dirname "$0")/common.sh"
make_keyfile_volume vault
expect_exit 0 cvfs init --yes vault
img=$SCRATCH/vault.img
uuid=$(cryptsetup luksUUID "$img")
# Back to what crypt_format alone writes: no token, no keyslot.
cryptsetup token remove --token-id 0 "$img"
cryptsetup luksKillSlot -q "$img" 0
cryptsetup luksDump "$img" | grep -q "Subsystem:.*cvfs" || fail "the header lost its subsystem"

expect_exit 0 cvfs show vault
expect_output "init interrupted"
expect_exit 0 cvfs init --yes vault
expect_output "initialised vault"
[ "$(cryptsetup luksUUID "$img")" != "$uuid" ] || fail "init did not write a new header"
expect_exit 0 cvfs show vault
expect_output "ready"

# Another volume's marks are not this volume's: a header labelled for
# "other" without a token is still refused without --force.
cryptsetup token remove --token-id 0 "$img"
cryptsetup luksKillSlot -q "$img" 0
cryptsetup config --label other "$img"
expect_exit 4 cvfs init --yes vault
