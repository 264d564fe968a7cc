# Builds the Debian packages with `make deb-packages` (packaging/debian; the
# tree is built once, configured the Debian way, and dh installs from it) and
# checks them:
#   1. the split of the RPMs: cvfs, cvfs-dev, cvfs-secretd and one
#      cvfs-plugin-NAME per plugin, each holding exactly its plugin and
#      depending on the exact cvfs version; no file in two packages; the
#      man pages, units, generator and conffiles where they belong; secretd's
#      unit handled by dh_installsystemd; lintian clean (make deb-packages
#      fails on any lintian error or warning).
#   2. unpacked into a scratch root, `cvfs plugins` run from the unpacked
#      files finds each plugin exactly while its package's files are there
#      (each plugin package's files added, then removed again).
#   3. the SDK example builds against the unpacked cvfs-dev.
# Later runs in the same OUT rebuild incrementally.
#
# Usage: deb_packages_check.sh OUT
set -euo pipefail
: "${CVFS_SOURCE_DIR:?}"
out=$(realpath -m "${1:?usage: $0 OUT}")
src=$CVFS_SOURCE_DIR
fail() { echo "FAIL: $*" >&2; exit 1; }
# The plugin a cvfs-plugin-* package holds, and its file: cvfs-plugin-NAME
# holds <kind>-NAME.so, cvfs-plugin-NAME-counter the rollback counter counter-NAME.so.
plugin_of() { local p=${1#cvfs-plugin-}; echo "${p%-counter}"; }
plugin_file() { if [[ $1 == *-counter ]]; then echo "counter-$(plugin_of "$1").so"; else echo "*-$(plugin_of "$1").so"; fi; }
step() { echo "== $*"; }
for tool in dpkg-buildpackage dh lintian dpkg-deb; do command -v $tool >/dev/null || fail "$tool is not installed"; done

version=$(sed -n 's/^project(cvfs VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
deb_version=$(sed -n '1s/^cvfs (\([^)]*\)).*/\1/p' "$src/packaging/debian/changelog")
[ "$version" = "$deb_version" ] || fail "CMakeLists.txt says $version, debian/changelog says $deb_version"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
plugindir=usr/lib/$multiarch/cvfs/plugins

# ---- 1. build and split --------------------------------------------------------
step "make deb-packages (log: $out/build.log)"
mkdir -p "$out"
start=$SECONDS
make -C "$src" deb-packages DEB_BUILD="$out/build" DEB_OUT="$out/debs" JOBS="${JOBS:-2}" >"$out/build.log" 2>&1 ||
  { tail -40 "$out/build.log" >&2; fail "make deb-packages failed"; }
echo "built and linted in $((SECONDS - start)) s"
grep -E '^[EW]: ' "$out/build.log" && fail "lintian reported errors or warnings"

declare -A deb
for f in "$out"/debs/*.deb; do
  name=$(dpkg-deb -f "$f" Package)
  [[ $name == *-dbgsym ]] && continue
  deb[$name]=$f
done
# One plugin package per cvfs-plugin-*.install file; dh_missing has already
# failed the build if a plugin the tree builds is in none of them.
expected=(cvfs cvfs-dev cvfs-secretd libcryptsetup-token-cvfs)
for f in "$src"/packaging/debian/cvfs-plugin-*.install; do p=${f##*/}; expected+=("${p%.install}"); done
[ "${#expected[@]}" -ge 16 ] || fail "too few plugin packages in packaging/debian: ${expected[*]}"
for name in "${expected[@]}"; do [ -n "${deb[$name]:-}" ] || fail "no package $name"; done
[ "${#deb[@]}" = "${#expected[@]}" ] || fail "expected ${#expected[@]} packages, got ${#deb[@]}: ${!deb[*]}"
echo "packages: ${#deb[@]}"

files_of() { dpkg-deb --fsys-tarfile "$1" | tar -t | sed 's|^\./|/|' | grep -v '/$'; }
owners=$out/owners.txt
: >"$owners"
for name in "${!deb[@]}"; do files_of "${deb[$name]}" | sed "s|\$| $name|" >>"$owners"; done
dups=$(cut -d' ' -f1 "$owners" | grep -v '^/usr/share/doc/' | sort | uniq -d)
[ -z "$dups" ] || fail "files in more than one package: $dups"
! grep -E "^/$plugindir/" "$owners" | grep -qv ' cvfs-plugin-' || fail "plugin files outside a plugin package"
debversion=$(dpkg-deb -f "${deb[cvfs]}" Version)
for name in "${!deb[@]}"; do
  [[ $name == cvfs-plugin-* ]] || continue
  sos=$(files_of "${deb[$name]}" | grep -v '^/usr/share/')
  [[ $sos == /$plugindir/$(plugin_file "$name") ]] && [ "$(wc -l <<<"$sos")" = 1 ] ||
    fail "$name should hold exactly its plugin, holds: $sos"
  dpkg-deb -f "${deb[$name]}" Depends | tr ',' '\n' | grep -qx " *cvfs (= $debversion)" ||
    fail "$name does not depend on cvfs (= $debversion): $(dpkg-deb -f "${deb[$name]}" Depends)"
done
for want in /usr/sbin/cvfs /lib/systemd/system/cvfs-open@.service /lib/systemd/system-generators/cvfs-generator \
            /etc/cvfs/cvfs.toml /usr/share/man/man8/cvfs.8.gz /usr/share/man/man5/cvfs-volume.5.gz \
            /usr/share/man/man5/cvfs.toml.5.gz /usr/share/bash-completion/completions/cvfs \
            /usr/share/zsh/vendor-completions/_cvfs; do
  grep -qx "$want cvfs" "$owners" || fail "$want is not in the cvfs package"
done
for want in "/usr/sbin/cvfs-secretd cvfs-secretd" "/lib/systemd/system/cvfs-secretd.service cvfs-secretd" \
            "/usr/share/man/man8/cvfs-secretd.8.gz cvfs-secretd" "/usr/include/cvfs/plugin.h cvfs-dev" \
            "/usr/share/man/man7/cvfs-plugin.7.gz cvfs-dev" \
            "/usr/lib/$multiarch/cmake/cvfs-sdk/cvfs-sdkConfig.cmake cvfs-dev" \
            "/usr/lib/$multiarch/cryptsetup/libcryptsetup-token-cvfs.so libcryptsetup-token-cvfs"; do
  grep -qx "$want" "$owners" || fail "${want% *} is not in ${want#* }"
done
ctl=$out/control
rm -rf "$ctl" && mkdir -p "$ctl"
dpkg-deb -e "${deb[cvfs]}" "$ctl/cvfs"
dpkg-deb -e "${deb[cvfs-secretd]}" "$ctl/secretd"
grep -qx /etc/cvfs/cvfs.toml "$ctl/cvfs/conffiles" || fail "cvfs.toml is not a conffile"
grep -qx /etc/cvfs/secretd/secretd.toml "$ctl/secretd/conffiles" || fail "secretd.toml is not a conffile"
grep -q "deb-systemd-helper.*cvfs-secretd.service" "$ctl/secretd/postinst" || fail "secretd's unit is not handled by dh_installsystemd"
dpkg-deb -c "${deb[cvfs]}" >"$out/cvfs-contents.txt"
grep -qE '^drwx------ .* \./etc/cvfs/volumes/$' "$out/cvfs-contents.txt" || fail "/etc/cvfs/volumes is not root's alone"

# ---- 2. scratch root, plugin by plugin -------------------------------------------
step "unpack into a scratch root"
root=$out/root
rm -rf "$root" && mkdir -p "$root"
dpkg-deb -x "${deb[cvfs]}" "$root"
cvfs_bin=$root/usr/sbin/cvfs
link=$(readlink "$root/lib/systemd/system-generators/cvfs-generator")
case $link in /*) target=$root$link ;; *) target=$root/lib/systemd/system-generators/$link ;; esac
[ "$(readlink -f "$target")" = "$(readlink -f "$cvfs_bin")" ] || fail "the generator link ($link) does not lead to cvfs"
"$cvfs_bin" --help 2>&1 | grep -q -- '--confdir.*(default /etc/cvfs)' || fail "the packaged cvfs does not read /etc/cvfs"
conf=$out/conf
rm -rf "$conf" && mkdir -p "$conf/volumes" "$out/run"
printf '[plugins]\ndirs = ["%s/%s"]\n[paths]\nrun_dir = "%s/run"\n' "$root" "$plugindir" "$out" >"$conf/cvfs.toml"
list_plugins() {
  "$cvfs_bin" -c "$conf" plugins --json >"$out/plugins.json" 2>&1 || { cat "$out/plugins.json" >&2; fail "cvfs plugins failed"; }
  found=$( { grep -o '"name" *: *"[^"]*"' "$out/plugins.json" || true; } | sed 's/.*"\([^"]*\)"$/\1/' | sort | tr '\n' ' ')
}
list_plugins
[ -z "$found" ] || fail "plugins listed with only the core unpacked: $found"
for name in "${expected[@]}"; do
  [[ $name == cvfs-plugin-* ]] || continue
  dpkg-deb -x "${deb[$name]}" "$root"
  list_plugins
  [ "$found" = "$(plugin_of "$name") " ] || fail "with $name unpacked, cvfs plugins lists: '$found'"
  # Remove what the package brought (its files, not the folders it shares).
  files_of "${deb[$name]}" | grep -v '^/usr/share/doc/' | while read -r f; do rm -f "$root$f"; done
  list_plugins
  [ -z "$found" ] || fail "after removing $name's files, cvfs plugins lists: '$found'"
done
for name in "${expected[@]}"; do [[ $name == cvfs-plugin-* ]] && dpkg-deb -x "${deb[$name]}" "$root"; done
list_plugins
echo "all plugins together: $found"

# ---- 3. the SDK from cvfs-dev ---------------------------------------------------------
step "build the SDK example against the unpacked cvfs-dev"
dpkg-deb -x "${deb[cvfs-dev]}" "$root"
example=$root/usr/share/doc/cvfs-dev/examples/seed-key
[ -f "$example/CMakeLists.txt" ] || fail "cvfs-dev has no SDK example"
cmake -S "$example" -B "$out/example" -Dcvfs-sdk_DIR="$root/usr/lib/$multiarch/cmake/cvfs-sdk" >"$out/example.log" 2>&1 &&
  cmake --build "$out/example" >>"$out/example.log" 2>&1 || { cat "$out/example.log" >&2; fail "example build"; }
[ -f "$out/example/key-example-seed.so" ] || fail "the example built no plugin"
echo "deb packages checked: ${#deb[@]} packages in $((SECONDS - start)) s"
