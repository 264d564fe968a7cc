# The bash completion (conf/completion/cvfs.bash): sourced into this shell,
# its function is called as bash would call it, and COMPREPLY is checked for
# commands (every command `cvfs --help` prints), options of a command, global
# options, `config check`, and the volume names of the configuration named
# with -c (read through the built cvfs). Also that the install puts it where
# bash-completion looks for it.
#
# Usage: completion_check.sh OUT
set -euo pipefail
: "${CVFS_BIN:?}" "${CVFS_PLUGINDIR:?}" "${CVFS_SOURCE_DIR:?}" "${CVFS_BUILD_DIR:?}"
out=$(realpath -m "${1:?usage: $0 OUT}")
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/conf/volumes" "$out/run"
conf=$out/conf
printf '[plugins]\ndirs = ["%s"]\n[paths]\nrun_dir = "%s/run"\n' "$CVFS_PLUGINDIR" "$out" >"$conf/cvfs.toml"
for v in data0 data1 scratch-1; do
  printf 'volume = "%s"\ndev = "%s/%s.img"\n[encrypt.otp]\n' "$v" "$out" "$v" >"$conf/volumes/$v.toml"
done

# shellcheck source=/dev/null
source "$CVFS_SOURCE_DIR/conf/completion/cvfs.bash"
complete -p cvfs | grep -q -- '-F _cvfs' || fail "the completion is not registered for cvfs"

# complete WORD... : the completions bash would offer for the last word.
complete_line() {
  COMP_WORDS=("$CVFS_BIN" "$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE="${COMP_WORDS[*]}"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _cvfs
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect() {
  local want=$1 got
  shift
  got=$(complete_line "$@")
  [ "$got" = "$want" ] || fail "cvfs $* <TAB>: expected '$want', got '$got'"
}

"$CVFS_BIN" --help >"$out/help.txt" 2>&1 || true
commands=$(awk '/^Commands:/ {on = 1; next} on && /^$/ {exit} on && /^  [a-z]/ {print $1}' "$out/help.txt" | sort -u | tr '\n' ' ' | sed 's/ $//')
[[ " $commands " == *" recovery-key "* ]] || fail "the commands read from cvfs --help lack recovery-key: $commands"
[ -n "$commands" ] || fail "could not read the commands from cvfs --help"
expect "$commands" ""
expect "show" sh
expect "reseal" res
expect "--verbose --version" --ver
expect "--version" --vers
expect "--confdir" --conf
# usage_options CMD...: the long options of a command's usage line, sorted.
usage_options() {
  "$CVFS_BIN" "$@" --help | head -n1 | grep -oE -- '--[a-z][a-z-]*' | sort -u | tr '\n' ' ' | sed 's/ $//'
}
open_options=$(usage_options open)
[[ $open_options == *--no-mount* ]] || fail "cvfs open --help shows no --no-mount: $open_options"
expect "$open_options" open --
expect "$(usage_options init)" init --
expect "--recovery-key-file" reseal --rec
expect "check" config ""
expect "backup restore" header ""
expect "add list remove" recovery-key ""
expect "data0 data1" -c "$conf" header backup d
expect "data1" -c "$conf" recovery-key remove data1
expect "--json" -c "$conf" show --
expect "data0 data1" -c "$conf" open d
expect "data0 data1 scratch-1" -c "$conf" init ""
expect "scratch-1" --confdir "$conf" close s
expect "data1" -c "$conf" config check data1
expect "--json" -c "$conf" config check --
expect "" -c "$conf" plugins ""
# A folder is completed after -c.
got=$(complete_line -c "$out/con")
[ "$got" = "$out/conf" ] || fail "cvfs -c $out/con<TAB>: expected $out/conf, got '$got'"

cmake --install "$CVFS_BUILD_DIR" --component core --prefix "$out/prefix" >"$out/install.log" 2>&1 || { cat "$out/install.log"; fail install; }
[ -f "$out/prefix/share/bash-completion/completions/cvfs" ] || fail "the bash completion is not installed"
[ -f "$out/prefix/share/zsh/site-functions/_cvfs" ] || fail "the zsh completion is not installed"
echo "bash completion checked"
