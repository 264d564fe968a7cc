# init never formats over a filesystem libblkid recognises, unless forced.
. "$(dirname "$0")/common.sh"
make_keyfile_volume data
truncate -s 32M "$SCRATCH/data.img"
mkfs.ext4 -q -F "$SCRATCH/data.img"

expect_exit 4 cvfs init --yes data
expect_output "ext4 filesystem"
blkid -p -o value -s TYPE "$SCRATCH/data.img" | grep -qx ext4 || fail "the filesystem was touched"

expect_exit 0 cvfs init --yes --force data
expect_exit 0 cvfs show data
expect_output "ready"
