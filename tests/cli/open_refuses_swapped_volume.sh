# A persistent volume whose header and data were replaced by another volume's
# (made with the same key file) is refused, naming both volumes, before the
# key provider is asked: the key file is not even there when open runs.
. "$(dirname "$0")/common.sh"
make_keyfile_volume alpha
make_keyfile_volume beta
cp "$SCRATCH/alpha.key" "$SCRATCH/beta.key"
expect_exit 0 cvfs init --yes alpha
expect_exit 0 cvfs init --yes beta

cp "$SCRATCH/beta.img" "$SCRATCH/alpha.img"  # the host swaps beta in for alpha
rm "$SCRATCH/alpha.key"                     # asking the provider would fail on this

expect_exit 1 cvfs open alpha
expect_output "volume 'alpha': $SCRATCH/alpha.img holds another cvfs volume"
expect_output "names volume 'beta'"
if grep -q "alpha.key" "$SCRATCH/out"; then cat "$SCRATCH/out" >&2; fail "the key provider was asked"; fi

expect_exit 0 cvfs show alpha
expect_output "foreign LUKS"
expect_exit 4 cvfs init --yes alpha
expect_output "holds another cvfs volume"
