# Without a terminal to ask, init refuses unless --yes is given.
. "$(dirname "$0")/common.sh"
make_keyfile_volume vault
expect_exit 4 cvfs init vault < /dev/null
expect_output "--yes"
[ ! -e "$SCRATCH/vault.img" ] || fail "init went ahead without confirmation"
