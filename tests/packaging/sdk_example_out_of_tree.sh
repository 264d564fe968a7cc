# The vendor SDK from outside the tree: install the SDK (cmake --install,
# component devel) into a scratch prefix, build sdk/examples/seed-key against
# it with find_package(cvfs-sdk) and nothing else of cvfs, install the plugin
# into its own folder with its plugins.d registration, and check that cvfs
# finds it there and runs its configuration checks. The result stays in OUT
# for the VM scenario sdk_example.sh, which opens a volume with it.
#
# Usage: sdk_example_out_of_tree.sh OUT
set -euo pipefail
: "${CVFS_BIN:?}" "${CVFS_PLUGINDIR:?}" "${CVFS_SOURCE_DIR:?}" "${CVFS_BUILD_DIR:?}"
out=${1:?usage: $0 OUT}
fail() { echo "FAIL: $*" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"
sdk=$out/sdk-prefix stage=$out/stage conf=$out/conf
cmake --install "$CVFS_BUILD_DIR" --component devel --prefix "$sdk" >"$out/install-sdk.log"
[ -f "$sdk/include/cvfs/plugin.hpp" ] || fail "the SDK install has no headers"
[ -n "$(find "$sdk" -name cvfs-sdkConfig.cmake)" ] || fail "the SDK install has no CMake package"

cmake -S "$CVFS_SOURCE_DIR/sdk/examples/seed-key" -B "$out/build" -DCMAKE_PREFIX_PATH="$sdk" \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DCMAKE_INSTALL_PREFIX="$stage/usr" \
    -DEXAMPLE_SEED_PLUGINS_D="$conf/plugins.d" >"$out/configure.log" || { cat "$out/configure.log"; fail "configure"; }
cmake --build "$out/build" >"$out/build.log" 2>&1 || { cat "$out/build.log"; fail "build"; }
# Nothing of the source tree was used: only the installed headers.
! grep -q -- "$CVFS_SOURCE_DIR/sdk/include" "$out/build/compile_commands.json" || fail "the example was compiled with the in-tree SDK"
grep -q -- "$sdk/include" "$out/build/compile_commands.json" || fail "the example did not use the installed SDK"
cmake --install "$out/build" >"$out/install.log"

so=$(find "$stage" -name key-example-seed.so)
[ -n "$so" ] || fail "the plugin was not installed"
nm -D --defined-only "$so" | grep -q 'cvfs_plugin_entry_v1@@CVFS_PLUGIN_1' || fail "entry symbol lacks its version node"
grep -qx "path = \"$so\"" "$conf/plugins.d/example-seed.toml" || fail "plugins.d file does not name $so"

mkdir -p "$conf/volumes" "$out/run"
cat >"$conf/cvfs.toml" <<TOML
[plugins]
dirs = ["$CVFS_PLUGINDIR"]
[paths]
run_dir = "$out/run"
TOML
"$CVFS_BIN" -c "$conf" plugins >"$out/plugins.txt" || { cat "$out/plugins.txt"; fail "cvfs plugins failed"; }
grep -E "^example-seed +key-provider +1\.0\.0 +1\.[0-9]+ +Example Vendor +$so" "$out/plugins.txt" >/dev/null ||
    { cat "$out/plugins.txt"; fail "example-seed not listed from plugins.d"; }

cat >"$conf/volumes/seeded.toml" <<TOML
volume = "seeded"
dev = "$out/seeded.img"
[encrypt.example-seed]
seed_file = "$out/seed"
flavour = "vanilla"
TOML
if "$CVFS_BIN" -c "$conf" config check seeded >"$out/check.txt" 2>&1; then fail "an unknown key was accepted"; fi
grep -q "seeded.toml:5: unknown key 'flavour' in \[encrypt.example-seed\]" "$out/check.txt" || { cat "$out/check.txt"; fail "bad message"; }
sed -i '/flavour/d' "$conf/volumes/seeded.toml"
"$CVFS_BIN" -c "$conf" config check seeded >"$out/check.txt" 2>&1 || { cat "$out/check.txt"; fail "config check"; }
rm -f "$conf/volumes/seeded.toml"
echo "example plugin built out of tree, registered through plugins.d: $so"
