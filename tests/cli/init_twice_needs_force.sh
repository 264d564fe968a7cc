# A second init of a ready volume is refused (exit 4) and leaves it intact;
# --force reformats it.
. "$(dirname "$0")/common.sh"
make_keyfile_volume vault
expect_exit 0 cvfs init --yes vault
uuid=$(cryptsetup luksUUID "$SCRATCH/vault.img")

expect_exit 4 cvfs init --yes vault
expect_output "initialised cvfs volume"
expect_output "--force"
[ "$(cryptsetup luksUUID "$SCRATCH/vault.img")" = "$uuid" ] || fail "volume was reformatted"

expect_exit 0 cvfs init --yes --force vault
[ "$(cryptsetup luksUUID "$SCRATCH/vault.img")" != "$uuid" ] || fail "--force did not reformat"
