# The README's SDK snippet builds as written: its C++ file (the block with
# CVFS_KEY_PROVIDER_PLUGIN(Hello ...) and its CMake file (the block with
# cvfs_add_plugin(hello ...), taken from README.md as they stand, are built
# against the SDK installed into a scratch prefix (cmake --install, component
# devel) with no flag added; the plugin carries the versioned entry symbol,
# installs into the SDK's plugin folder and `cvfs plugins` loads it from there.
#
# Usage: sdk_readme_snippet.sh OUT
set -euo pipefail
: "${CVFS_BIN:?}" "${CVFS_SOURCE_DIR:?}" "${CVFS_BUILD_DIR:?}"
out=$(realpath -m "${1:?usage: $0 OUT}")
fail() { echo "FAIL: $*" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/src"
sdk=$out/sdk-prefix
cmake --install "$CVFS_BUILD_DIR" --component devel --prefix "$sdk" >"$out/install-sdk.log"

# The fenced block of language $1 that contains $2, exactly as the README has it.
readme_block() {
  awk -v lang="$1" -v mark="$2" '
    $0 == "```" lang { inside = 1; block = ""; next }
    inside && $0 == "```" { inside = 0; if (index(block, mark)) { printf "%s", block; found = 1; exit } next }
    inside { block = block $0 "\n" }
    END { exit found ? 0 : 1 }' "$CVFS_SOURCE_DIR/README.md"
}
readme_block cpp 'CVFS_KEY_PROVIDER_PLUGIN(Hello' >"$out/src/hello.cpp" || fail "README.md has no C++ block with CVFS_KEY_PROVIDER_PLUGIN(Hello"
readme_block cmake 'cvfs_add_plugin(hello' >"$out/src/CMakeLists.txt" || fail "README.md has no CMake block with cvfs_add_plugin(hello"

cmake -S "$out/src" -B "$out/build" -DCMAKE_PREFIX_PATH="$sdk" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    >"$out/configure.log" 2>&1 || { cat "$out/configure.log"; fail "the README's CMake file does not configure"; }
! grep -q "CMake Warning" "$out/configure.log" || { cat "$out/configure.log"; fail "the README's CMake file draws warnings"; }
cmake --build "$out/build" >"$out/build.log" 2>&1 || { cat "$out/build.log"; fail "the README's plugin does not build"; }
! grep -q -- "$CVFS_SOURCE_DIR/sdk" "$out/build/compile_commands.json" || fail "compiled with the in-tree SDK"
grep -q -- "-I$sdk/include\|-isystem $sdk/include" "$out/build/compile_commands.json" || fail "the installed SDK's headers were not used"

so=$out/build/key-hello.so
[ -f "$so" ] || fail "no key-hello.so"
nm -D --defined-only "$so" | grep -q 'cvfs_plugin_entry_v1@@CVFS_PLUGIN_1' || fail "entry symbol lacks its version node"
[ "$(nm -D --defined-only "$so" | grep -c ' [TDBRW] ')" = 1 ] || fail "the plugin exports more than its entry: $(nm -D --defined-only "$so")"

cmake --install "$out/build" >"$out/install.log" 2>&1 || { cat "$out/install.log"; fail "install"; }
plugindir=$(dirname "$(find "$sdk" -name key-hello.so)")
[ -f "$plugindir/key-hello.so" ] || fail "the plugin was not installed into the SDK's plugin folder"

conf=$out/conf
mkdir -p "$conf/volumes" "$out/run"
printf '[plugins]\ndirs = ["%s"]\n[paths]\nrun_dir = "%s/run"\n' "$plugindir" "$out" >"$conf/cvfs.toml"
"$CVFS_BIN" -c "$conf" plugins >"$out/plugins.txt" 2>&1 || { cat "$out/plugins.txt"; fail "cvfs plugins failed"; }
grep -E "^hello +key-provider +1\.0\.0 .*Example Corp" "$out/plugins.txt" >/dev/null ||
  { cat "$out/plugins.txt"; fail "cvfs does not list the README's plugin"; }
echo "the README's SDK snippet builds as written and loads: $plugindir/key-hello.so"
