# The zsh completion (conf/completion/_cvfs) in real zsh: an interactive zsh
# on a pseudo-terminal (zsh_complete.zsh) types command lines and TAB, and the
# matches the completion offers are checked for the commands (every one
# `cvfs --help` prints), subcommands, each command's options (as its own
# `cvfs COMMAND --help` lists them), option arguments, global options, and
# the volume names of the configuration named with -c (read through the
# built cvfs). Also that make install puts it where zsh looks for it. Installs
# Debian's zsh with apt-get when it is missing.
#
# Usage: zsh_completion_check.sh OUT
set -euo pipefail
: "${CVFS_BIN:?}" "${CVFS_PLUGINDIR:?}" "${CVFS_SOURCE_DIR:?}" "${CVFS_BUILD_DIR:?}"
out=$(realpath -m "${1:?usage: $0 OUT}")
fail() { echo "FAIL: $*" >&2; exit 1; }
here=$(dirname "$(realpath "$0")")

if ! command -v zsh >/dev/null; then
  echo "installing zsh (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 install --no-install-recommends zsh \
    >"$out.apt.log" 2>&1 || { tail -n 20 "$out.apt.log" >&2; fail "apt-get could not install zsh"; }
fi

rm -rf "$out"
mkdir -p "$out/conf/volumes" "$out/run" "$out/bin" "$out/files/sub"
conf=$out/conf
printf '[plugins]\ndirs = ["%s"]\n[paths]\nrun_dir = "%s/run"\n' "$CVFS_PLUGINDIR" "$out" >"$conf/cvfs.toml"
for v in data0 data1 scratch-1; do
  printf 'volume = "%s"\ndev = "%s/%s.img"\n[encrypt.otp]\n' "$v" "$out" "$v" >"$conf/volumes/$v.toml"
done
touch "$out/files/recovery.key"
# The completion calls the program by the name on the line: cvfs on PATH.
ln -s "$CVFS_BIN" "$out/bin/cvfs"

# The commands and their options, from the program's own help.
"$CVFS_BIN" --help >"$out/help.txt" 2>&1 || true
commands=$(awk '/^Commands:/ {on = 1; next} on && /^$/ {exit} on && /^  [a-z]/ {print $1}' "$out/help.txt" | sort -u | tr '\n' ' ' | sed 's/ $//')
[[ " $commands " == *" recovery-key "* ]] || fail "the commands read from cvfs --help lack recovery-key: $commands"
# options_of CMD...: the long options (and -y style short ones) of a command's help, sorted.
options_of() {
  "$CVFS_BIN" "$@" --help | awk '/^Options:/ {on = 1; next} on && /^[^ ]/ {exit} on' |
    grep -oE -- '(^ +-[a-zA-Z] \[ --[a-z-]+ \]|^ +--[a-z-]+)' | grep -oE -- '-{1,2}[a-zA-Z][a-z-]*' | sort | tr '\n' ' ' | sed 's/ $//'
}
open_options=$(options_of open)
[[ $open_options == *--no-mount* ]] || fail "cvfs open --help lists no --no-mount: $open_options"
init_options=$(options_of init)

# Each check: the line typed, then the matches expected.
checks=(
  "cvfs " "$commands"
  "cvfs sh" "show"
  "cvfs res" "reseal"
  "cvfs --ver" "--verbose --version"
  "cvfs --conf" "--confdir"
  "cvfs open -" "$open_options"
  "cvfs init -" "$init_options"
  "cvfs reseal --rec" "--recovery-key-file"
  "cvfs reseal data0 --recovery-key-file $out/files/r" "recovery.key"
  "cvfs config " "check"
  "cvfs header " "backup restore"
  "cvfs recovery-key " "add list remove"
  "cvfs -c $conf header backup d" "data0 data1"
  "cvfs -c $conf header backup data0 $out/files/r" "recovery.key"
  "cvfs -c $conf recovery-key remove data1" "data1"
  "cvfs -c $conf open d" "data0 data1"
  "cvfs -c $conf open data0 d" "data0 data1"
  "cvfs -c $conf init " "data0 data1 scratch-1"
  "cvfs --confdir $conf close s" "scratch-1"
  "cvfs --confdir=$conf close s" "scratch-1"
  "cvfs -c $conf config check data1" "data1"
  "cvfs -c $conf status data0 " ""
  "cvfs -c $conf plugins " ""
  "cvfs -c $out/con" "conf"
  "cvfs generate-units $out/files/s" "sub"
)
: >"$out/lines"
for ((i = 0; i < ${#checks[@]}; i += 2)); do printf '%s\n' "${checks[i]}" >>"$out/lines"; done
timeout 120 zsh -f "$here/zsh_complete.zsh" "$CVFS_SOURCE_DIR/conf/completion" "$out/bin" "$out" "$out/lines" \
  >"$out/got" || fail "zsh did not complete the lines (status $?)"
mapfile -t got <"$out/got"
[[ ${#got[@]} -eq $((${#checks[@]} / 2)) ]] || fail "zsh answered ${#got[@]} lines, not $((${#checks[@]} / 2))"
failures=0
for ((i = 0; i < ${#checks[@]}; i += 2)); do
  want=$(tr ' ' '\n' <<<"${checks[i + 1]}" | sort -u | tr '\n' ' ' | sed 's/^ *//; s/ *$//')
  have=${got[i / 2]}
  if [[ $have != "$want" ]]; then
    echo "FAIL: zsh: ${checks[i]}<TAB>: expected '$want', got '$have'" >&2
    failures=$((failures + 1))
  fi
done
((failures == 0)) || fail "$failures completions differ"

cmake --install "$CVFS_BUILD_DIR" --component core --prefix "$out/prefix" >"$out/install.log" 2>&1 || { cat "$out/install.log"; fail install; }
cmp -s "$out/prefix/share/zsh/site-functions/_cvfs" "$CVFS_SOURCE_DIR/conf/completion/_cvfs" ||
  fail "make install does not put the zsh completion into share/zsh/site-functions"
grep -qx 'usr/share/zsh/vendor-completions/_cvfs' "$CVFS_SOURCE_DIR/packaging/debian/cvfs.install" ||
  fail "the Debian package does not install the zsh completion"
grep -qx '%{_datadir}/zsh/site-functions/_cvfs' "$CVFS_SOURCE_DIR/packaging/cvfs.spec" ||
  fail "the RPM does not install the zsh completion"
echo "zsh completion checked (${#got[@]} lines)"
