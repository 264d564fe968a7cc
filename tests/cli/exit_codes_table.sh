# The exit-code table, row by row, as `cvfs --help`, the README and cvfs(8)
# give it: each code is produced by a case that should produce it, and the
# three texts list the same codes. (Code 6, a filesystem in use at close,
# needs a mounted volume: the VM scenario faults.sh checks it; code 7, a
# volume older than its rollback counter, the VM scenario rollback.sh.)
. "$(dirname "$0")/common.sh"

# The texts agree: the codes each lists.
codes_in() { grep -oE '(^|[ `])[0-9]( |`)' | tr -dc '0-9\n' | sort -u | tr -d '\n'; }
help_codes=$(cvfs --help | sed -n '/^Exit codes:/,/^$/p' | codes_in)
readme_codes=$(sed -n '/^Exit codes:/,/^$/p' "$CVFS_SOURCE_DIR/README.md" | codes_in)
man_codes=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH FILES/p' "$CVFS_SOURCE_DIR/docs/man/cvfs.8" | grep -A1 '^\.TP' |
    grep -oE '^\.B [0-9]$' | tr -dc '0-9\n' | sort -u | tr -d '\n')
[ "$help_codes" = 01234567 ] || fail "cvfs --help lists the exit codes '$help_codes'"
[ "$readme_codes" = "$help_codes" ] || fail "the README lists '$readme_codes', cvfs --help '$help_codes'"
[ "$man_codes" = "$help_codes" ] || fail "cvfs(8) lists '$man_codes', cvfs --help '$help_codes'"

make_keyfile_volume good
sed -i 's/^dev = .*/&\ntimeout = "1s"/' "$CONF/volumes/good.toml"

# 0: success.
expect_exit 0 cvfs show
expect_exit 0 cvfs config check

# 1: an operation failed (the block file was never made; units into a folder that is not there).
expect_exit 1 cvfs open good
expect_output "does not exist"
expect_exit 1 cvfs generate-units "$SCRATCH/no-such-folder"
expect_output "is not a folder"

# 2: usage errors.
expect_exit 2 cvfs --bogus show
expect_exit 2 cvfs open
expect_exit 2 cvfs open --all good
expect_exit 2 cvfs no-such-command

# 3: configuration errors: an unknown volume, a plugin no file provides,
# a broken volume file (also where the good volumes are shown).
expect_exit 3 cvfs open nosuch
cat > "$CONF/volumes/noplugin.toml" <<TOML
volume = "noplugin"
dev = "$SCRATCH/noplugin.img"
[encrypt.no-such-provider]
TOML
expect_exit 3 cvfs config check noplugin
expect_output "no key provider plugin 'no-such-provider'"
expect_exit 3 cvfs open noplugin
rm "$CONF/volumes/noplugin.toml"
printf 'volume = "broken"\ndev = \n' > "$CONF/volumes/broken.toml"
expect_exit 3 cvfs show
expect_output "good"
expect_exit 3 cvfs show --json
expect_exit 3 cvfs config check
rm "$CONF/volumes/broken.toml"

# 4: refused: init without a terminal and without --yes.
expect_exit 4 cvfs init good </dev/null
expect_output "--yes"

# 5: another cvfs process holds the volume (its lock, for longer than the
# volume's 1 s timeout).
mkdir -p "$SCRATCH/run/locks"
flock "$SCRATCH/run/locks/good.lock" sleep 30 &
holder=$!
for _ in $(seq 50); do flock -n "$SCRATCH/run/locks/good.lock" true || break; sleep 0.1; done
expect_exit 5 cvfs open good
expect_output "volume 'good': waiting up to"
expect_output "volume 'good' is in use by"
pkill -P "$holder" sleep || true
wait "$holder" 2>/dev/null || true
echo "exit codes 0-5 checked"
