# Installing cvfs writes only under the prefix (or DESTDIR), and the installed
# programs still read /etc/cvfs:
#   1. `DESTDIR=D cmake --install BUILD --prefix P` for a P that does not exist
#      on this machine: every file and link lands under D/P (the configuration
#      under D/SYSCONFDIR/cvfs when the build folder was configured with an
#      absolute CMAKE_INSTALL_SYSCONFDIR, as `make install` does), nothing at P.
#   2. `cmake --install BUILD --prefix T` for a scratch T: T holds exactly the
#      files of step 1, the generator link resolves to T's cvfs.
#   3. the installed cvfs names /etc/cvfs as its configuration folder, and the
#      installed cvfs.toml the configured plugin folder.
#
# Usage: install_prefix_check.sh OUT
set -euo pipefail
: "${CVFS_BUILD_DIR:?}"
out=$(realpath -m "${1:?usage: $0 OUT}")
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$CVFS_BUILD_DIR/CMakeCache.txt"; }
sysconfdir=$(cache_value CMAKE_INSTALL_SYSCONFDIR)
configured_prefix=$(cache_value CMAKE_INSTALL_PREFIX)
rm -rf "$out"
mkdir -p "$out"

# ---- 1. under DESTDIR ----------------------------------------------------------
prefix=/opt/cvfs-install-check-$$
[ ! -e "$prefix" ] || fail "$prefix exists already"
dest=$out/destdir
step "DESTDIR=$dest cmake --install --prefix $prefix"
DESTDIR=$dest cmake --install "$CVFS_BUILD_DIR" --prefix "$prefix" >"$out/destdir.log" 2>&1 ||
  { cat "$out/destdir.log"; fail "install under DESTDIR"; }
[ ! -e "$prefix" ] || { rm -rf "$prefix"; fail "the install wrote to $prefix itself, outside DESTDIR"; }
allowed=("$dest$prefix/")
case $sysconfdir in /*) allowed+=("$dest$sysconfdir/cvfs/") ;; esac
outside=$(cd "$dest" && find . -mindepth 1 \( -type f -o -type l \) | sed 's|^\.||' | sort |
  while read -r f; do
    ok=
    for a in "${allowed[@]}"; do [[ $dest$f == "$a"* ]] && ok=1; done
    [ -n "$ok" ] || echo "$f"
  done)
[ -z "$outside" ] || fail "installed outside the prefix $prefix: $(echo $outside)"
(cd "$dest$prefix" && find . -mindepth 1 \( -type f -o -type l \) | sort) >"$out/files.txt"
echo "$(wc -l <"$out/files.txt") files, all under the prefix"

# What a working install holds, each relative to the prefix.
confrel=etc/cvfs
case $sysconfdir in /*) confrel= ;; esac
for want in sbin/cvfs lib/systemd/system/cvfs-open@.service lib/systemd/system-generators/cvfs-generator \
            include/cvfs/plugin.h ${confrel:+$confrel/cvfs.toml}; do
  grep -qx "./$want" "$out/files.txt" || fail "the install has no $want"
done
grep -qE '^\./lib[^/]*(/[^/]+)?/cvfs/plugins/key-otp\.so$' "$out/files.txt" || fail "the install has no plugins"

# ---- 2. a plain --prefix install -------------------------------------------------
if [ -z "$confrel" ]; then
  # This build folder installs its configuration to the absolute $sysconfdir
  # (it was configured for a system install): a plain install would write
  # there, which step 1 already showed is the only place outside the prefix.
  echo "plain --prefix install left out: configuration destination $sysconfdir is absolute in this build"
else
  tmp=$out/prefix
  step "cmake --install --prefix $tmp"
  cmake --install "$CVFS_BUILD_DIR" --prefix "$tmp" >"$out/prefix.log" 2>&1 || { cat "$out/prefix.log"; fail "install"; }
  (cd "$tmp" && find . -mindepth 1 \( -type f -o -type l \) | sort) >"$out/files-prefix.txt"
  diff "$out/files.txt" "$out/files-prefix.txt" >&2 || fail "--prefix and DESTDIR installs differ"
  [ "$(readlink -f "$tmp/lib/systemd/system-generators/cvfs-generator")" = "$(readlink -f "$tmp/sbin/cvfs")" ] ||
    fail "the generator link does not lead to the installed cvfs: $(readlink "$tmp/lib/systemd/system-generators/cvfs-generator")"
  # The same install script writes the same files wherever the prefix is, so
  # every file of this install is one of the list above, all under $tmp.
  grep -E '^-- (Installing|Up-to-date): ' "$out/prefix.log" | sed 's/^-- [A-Za-z-]*: //; s/ -> .*//' | grep -v "^$tmp/" &&
    fail "the --prefix install reports files outside $tmp"
fi

# ---- 3. the configuration folder ---------------------------------------------------
step "the installed cvfs reads /etc/cvfs"
bin=$dest$prefix/sbin/cvfs
"$bin" --help >"$out/help.txt" 2>&1 || true
grep -qE -- '--confdir.*/etc/cvfs\b' "$out/help.txt" || grep -qE -- '\(="?/etc/cvfs"?\)' "$out/help.txt" ||
  { grep -i confdir "$out/help.txt" >&2; fail "cvfs does not default to /etc/cvfs"; }
grep -F -- "$configured_prefix" "$out/help.txt" | grep -qi confdir && fail "the configuration folder depends on the prefix"
toml=$(find "$dest" -name cvfs.toml)
grep -qF "# dirs = [\"$configured_prefix/" "$toml" || { grep dirs "$toml" >&2; fail "cvfs.toml does not name the plugin folder under $configured_prefix"; }
echo "install under prefix checked"
