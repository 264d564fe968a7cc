# The man pages (docs/man): each renders without a warning (groff -ww and
# man --warnings), and each lists what the program knows:
#   cvfs(8)        every command `cvfs --help` prints and every option of the
#                  commands' own help (read from the built program, so a new
#                  command needs its page line)
#   cvfs-volume(5) every key the volume file parser reads (core/config/volume_file.cpp)
#   cvfs.toml(5)   every key of cvfs.toml and plugins.d files (core/config/global_file.cpp)
#   cvfs-secretd(8) every option `cvfs-secretd --help` prints
# and that the install puts each page where man finds it.
#
# Usage: man_pages_check.sh OUT
set -euo pipefail
: "${CVFS_BIN:?}" "${CVFS_SECRETD_BIN:?}" "${CVFS_SOURCE_DIR:?}" "${CVFS_BUILD_DIR:?}"
out=$(realpath -m "${1:?usage: $0 OUT}")
fail() { echo "FAIL: $*" >&2; exit 1; }
man=$CVFS_SOURCE_DIR/docs/man
rm -rf "$out"
mkdir -p "$out"
export LC_ALL=C.UTF-8 MANWIDTH=200

pages=(cvfs.8 cvfs-volume.5 cvfs.toml.5 cvfs-secretd.8 cvfs-plugin.7)
for page in "${pages[@]}"; do
  [ -f "$man/$page" ] || fail "no man page $page"
  warnings=$(groff -ww -man -z "$man/$page" 2>&1)
  [ -z "$warnings" ] || fail "groff warns about $page: $warnings"
  warnings=$(man --warnings -l "$man/$page" 2>&1 >"$out/$page.txt")
  [ -z "$warnings" ] || fail "man warns about $page: $warnings"
  [ -s "$out/$page.txt" ] || fail "$page renders empty"
done

# $1 page, $2 what, rest: words each of which must appear in the rendered page.
missing=()
require_words() {
  local page=$1 what=$2 word
  shift 2
  for word in "$@"; do
    grep -qE -- "(^|[^a-z_-])$word([^a-z_-]|$)" "$out/$page.txt" || missing+=("$page lacks $what '$word'")
  done
}

# Commands: the name column of the "Commands:" block of --help (two words
# for "config check", "header backup"); options: every --flag that the help
# of a command (`cvfs COMMAND --help`) or the global help describes.
"$CVFS_BIN" --help >"$out/help.txt" 2>&1 || true
commands=$(awk '/^Commands:/ {on = 1; next} on && /^$/ {exit} on && /^  [a-z]/ {
  sub(/^  /, ""); sub(/  .*/, ""); print }' "$out/help.txt")
[ "$(wc -l <<<"$commands")" -ge 8 ] || fail "could not read the commands from cvfs --help: $commands"
mapfile -t command_list <<<"$commands"
require_words cvfs.8 command "${command_list[@]}"
cp "$out/help.txt" "$out/all-help.txt"
for command in "${command_list[@]}"; do
  # shellcheck disable=SC2086  # "config check" is two words
  "$CVFS_BIN" $command --help >>"$out/all-help.txt" 2>&1 || fail "cvfs $command --help failed"
done
mapfile -t options < <(grep -oE -- '--[a-z][a-z-]+' "$out/all-help.txt" | sort -u | grep -vx -- --help)
[ "${#options[@]}" -ge 8 ] || fail "could not read the options from the help of cvfs and its commands: ${options[*]}"
require_words cvfs.8 option "${options[@]}"
# Short options from the help's Global options block.
mapfile -t short < <(grep -oE -- '^  -[a-z] ' "$out/help.txt" | tr -d ' ')
require_words cvfs.8 option "${short[@]}"
require_words cvfs.8 "exit code" 0 1 2 3 4 5 6

"$CVFS_SECRETD_BIN" --help >"$out/secretd-help.txt" 2>&1 || true
mapfile -t secretd_options < <(grep -oE -- '--[a-z][a-z-]+' "$out/secretd-help.txt" | sort -u)
[ "${#secretd_options[@]}" -ge 3 ] || fail "could not read the options from cvfs-secretd --help"
require_words cvfs-secretd.8 option "${secretd_options[@]}"

# Keys: the names the parsers read or accept (reject_unknown lists and the
# TableReader calls that read one key).
parser_keys() {
  { grep -oE 'reject_unknown\(\{[^}]*\}' "$1" | grep -oE '"[a-z_]+"'
    grep -oE '\.(string|boolean|integer|array|node|subtable)\("[a-z_]+"' "$1" | grep -oE '"[a-z_]+"'
  } | tr -d '"' | sort -u
}
mapfile -t volume_keys < <(parser_keys "$CVFS_SOURCE_DIR/core/config/volume_file.cpp")
[ "${#volume_keys[@]}" -ge 15 ] || fail "could not read the volume keys from the parser: ${volume_keys[*]}"
require_words cvfs-volume.5 key "${volume_keys[@]}"
mapfile -t global_keys < <(parser_keys "$CVFS_SOURCE_DIR/core/config/global_file.cpp")
[ "${#global_keys[@]}" -ge 8 ] || fail "could not read the cvfs.toml keys from the parser: ${global_keys[*]}"
require_words cvfs.toml.5 key "${global_keys[@]}"
[ "${#missing[@]}" = 0 ] || { printf '%s\n' "${missing[@]}" >&2; fail "${#missing[@]} names missing from the man pages"; }

# Installed where man looks: share/man/man<section>/<page>.
cmake --install "$CVFS_BUILD_DIR" --prefix "$out/prefix" >"$out/install.log" 2>&1 || { cat "$out/install.log"; fail install; }
for page in "${pages[@]}"; do
  [ -f "$out/prefix/share/man/man${page##*.}/$page" ] || fail "$page is not installed in share/man/man${page##*.}"
done
MANPATH=$out/prefix/share/man man -w cvfs-volume >/dev/null || fail "man does not find the installed cvfs-volume(5)"
echo "man pages checked: ${#pages[@]} pages, ${#command_list[@]} commands, ${#options[@]} options, ${#volume_keys[@]} volume keys, ${#global_keys[@]} global keys"
