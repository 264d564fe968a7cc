# Builds the RPM packages from packaging/cvfs.spec and checks them:
#   1. rpmbuild with Debian's rpm: the Fedora macros it lacks come from
#      packaging/debian-host.macros (--load), BuildRequires are not checked
#      (--nodeps). Optional parts (tpm, aliyun-kms, ra-tls, nvme, secretd) are
#      built when their sources are in the tree, else left out (--without).
#   2. every file is owned by exactly one package; the core package holds no
#      plugin; each plugin package holds its one plugin and requires the exact
#      cvfs version-release it was built with.
#   3. rpmlint finds no error (packaging/rpmlintrc lists the accepted warnings).
#   4. installed into a scratch root (rpm --root, --nodeps: no Fedora base
#      there), `cvfs plugins` finds each plugin exactly while its package is
#      installed; the generator link resolves; cvfs-devel builds the SDK
#      example against the installed SDK.
# The first run builds from scratch, as a distribution would. Later runs in
# the same OUT reuse the packages when no source changed, and otherwise
# rebuild incrementally over the previous build tree.
#
# Usage: rpm_packages_check.sh OUT
set -euo pipefail
: "${CVFS_SOURCE_DIR:?}"
out=${1:?usage: $0 OUT}
src=$CVFS_SOURCE_DIR
fail() { echo "FAIL: $*" >&2; exit 1; }
# The plugin a cvfs-plugin-* package holds, and its file: cvfs-plugin-NAME
# holds <kind>-NAME.so, cvfs-plugin-NAME-counter the rollback counter counter-NAME.so.
plugin_of() { local p=${1#cvfs-plugin-}; echo "${p%-counter}"; }
plugin_file() { if [[ $1 == *-counter ]]; then echo "counter-$(plugin_of "$1").so"; else echo "*-$(plugin_of "$1").so"; fi; }
step() { echo "== $*"; }
for tool in rpmbuild rpm rpmlint; do command -v $tool >/dev/null || fail "$tool is not installed"; done

version=$(sed -n 's/^project(cvfs VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
spec_version=$(sed -n 's/^Version: *//p' "$src/packaging/cvfs.spec")
[ "$version" = "$spec_version" ] || fail "CMakeLists.txt says $version, cvfs.spec says $spec_version"

# ---- 1. build ---------------------------------------------------------------
# bcond name, source folder, what marks it as buildable there.
optional=(
  "tpm plugins/tpm cvfs_add_plugin"
  "aliyun_kms plugins/aliyun-kms cvfs_add_plugin"
  "ra_tls plugins/ra-tls cvfs_add_plugin"
  "nvme plugins/nvme cvfs_add_plugin"
  "secretd cli/cvfs-secretd add_executable"
)
conditions=() built=()
for entry in "${optional[@]}"; do
  read -r bcond dir marker <<<"$entry"
  if grep -qs "^ *$marker(" "$src/$dir/CMakeLists.txt"; then
    conditions+=(--with "$bcond") built+=("$bcond")
  else
    conditions+=(--without "$bcond")
  fi
done
echo "optional parts built: ${built[*]:-none}"

top=$out/rpmbuild
mkdir -p "$top/SOURCES"
tarball=$top/SOURCES/cvfs-$version.tar.gz
tree=$top/BUILD/cvfs-$version
(cd "$src" && tar --exclude-vcs --exclude='./build*' --exclude='./.cache' \
   --transform "s|^\./|cvfs-$version/|" -czf "$tarball" ./)
# What the packages are made of: the sources' contents and the build options.
stamp=$( (cd "$src" && find . -path './build*' -prune -o -path ./.git -prune -o -type f -print0 |
          sort -z | xargs -0 sha256sum; cat "$src/packaging/debian-host.macros") | sha256sum | cut -d' ' -f1)-${conditions[*]// /}
rpmbuild_args=(--nodeps --noclean --load "$src/packaging/debian-host.macros" --define "_topdir $top"
               --define "_smp_build_ncpus $(nproc)" "${conditions[@]}")
if [ -f "$top/stamp" ] && [ "$(cat "$top/stamp")" = "$stamp" ] && ls "$top"/RPMS/*/*.rpm >/dev/null 2>&1; then
  step "packages of these sources already built, reused"
else
  rm -rf "$top/RPMS" "$top/BUILDROOT" "$top/stamp"
  start=$SECONDS
  if [ -d "$tree/redhat-linux-build" ]; then
    # A previous run's build tree: unpack the new sources over it (unchanged
    # files keep their times) and let %build recompile what changed.
    step "rpmbuild -bb, incremental over the previous build (log: $top/build.log)"
    tar -xzf "$tarball" -C "$top/BUILD"
    rpmbuild_args+=(--noprep)
  else
    step "rpmbuild -bb (log: $top/build.log)"
    rm -rf "$top/BUILD"
  fi
  if ! rpmbuild -bb "${rpmbuild_args[@]}" "$src/packaging/cvfs.spec" >"$top/build.log" 2>&1; then
    tail -40 "$top/build.log" >&2
    fail "rpmbuild failed"
  fi
  echo "built in $((SECONDS - start)) s"
  echo "$stamp" >"$top/stamp"
fi
mapfile -t rpms < <(ls "$top"/RPMS/*/*.rpm)
pkg_of() { rpm -qp --qf '%{NAME}' "$1"; }
declare -A rpm_file
for f in "${rpms[@]}"; do rpm_file[$(pkg_of "$f")]=$f; done
echo "packages: ${!rpm_file[*]}"

# ---- 2. file lists ------------------------------------------------------------
step "file lists"
expected=(cvfs cvfs-devel cvfs-plugin-otp cvfs-plugin-passphrase cvfs-plugin-keyfile cvfs-plugin-exec cvfs-token cvfs-plugin-loop
          cvfs-plugin-ext4 cvfs-plugin-xfs cvfs-plugin-vfat cvfs-plugin-swap)
for b in "${built[@]}"; do
  case $b in
    secretd) expected+=(cvfs-secretd) ;;
    tpm) expected+=(cvfs-plugin-tpm cvfs-plugin-tpm-counter) ;;
    *) expected+=("cvfs-plugin-${b//_/-}") ;;
  esac
done
for name in "${expected[@]}"; do [ -n "${rpm_file[$name]:-}" ] || fail "no package $name"; done
[ "${#rpms[@]}" = "${#expected[@]}" ] || fail "expected ${#expected[@]} packages, got ${#rpms[@]}"

# Every regular file and link in exactly one package (directories may be shared).
owners=$out/owners.txt
: >"$owners"
for f in "${rpms[@]}"; do
  rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$f" | awk -v p="$(pkg_of "$f")" '$1 !~ /^d/ {print $2, p}' >>"$owners"
done
dups=$(cut -d' ' -f1 "$owners" | sort | uniq -d)
[ -z "$dups" ] || fail "files in more than one package: $dups"

release=$(rpm -qp --qf '%{VERSION}-%{RELEASE}' "${rpm_file[cvfs]}")
# Every plugin file belongs to a plugin package, none to the core.
misplaced=$(grep -E '^/usr/lib64/cvfs/plugins/[^ ]+ ' "$owners" | grep -v ' cvfs-plugin-' || true)
[ -z "$misplaced" ] || fail "plugin files outside a plugin package: $misplaced"
! grep -qE '\.so[^ ]* cvfs$' "$owners" || fail "the core package holds a shared object: $(grep -E '\.so[^ ]* cvfs$' "$owners")"
for name in "${!rpm_file[@]}"; do
  [[ $name == cvfs-plugin-* ]] || continue
  files=$(rpm -qpl "${rpm_file[$name]}" | grep -v '^/usr/share/' || true)
  [ "$(wc -l <<<"$files")" = 1 ] && [[ $files == /usr/lib64/cvfs/plugins/$(plugin_file "$name") ]] ||
    fail "$name should hold exactly its plugin, holds: $files"
  rpm -qp --requires "${rpm_file[$name]}" | grep -qx "cvfs(x86-64) = $release" ||
    fail "$name does not require cvfs(x86-64) = $release"
done
for want in /usr/sbin/cvfs /usr/lib/systemd/system/cvfs-open@.service \
            /usr/lib/systemd/system-generators/cvfs-generator /etc/cvfs/cvfs.toml; do
  grep -qx "$want cvfs" "$owners" || fail "$want is not in the cvfs package"
done
rpm -qp --configfiles "${rpm_file[cvfs]}" | grep -qx /etc/cvfs/cvfs.toml || fail "cvfs.toml is not %config"
grep -qx "/usr/include/cvfs/plugin.h cvfs-devel" "$owners" || fail "headers are not in cvfs-devel"
grep -q "^/usr/share/doc/cvfs-devel/examples/seed-key/seed_key.cpp cvfs-devel" "$owners" ||
  fail "the SDK example is not in cvfs-devel's documentation"

# ---- 3. rpmlint -----------------------------------------------------------------
step "rpmlint"
if ! rpmlint -r "$src/packaging/rpmlintrc" "$src/packaging/cvfs.spec" "${rpms[@]}" >"$out/rpmlint.txt" 2>&1; then
  cat "$out/rpmlint.txt" >&2
  fail "rpmlint found errors"
fi
tail -1 "$out/rpmlint.txt"

# ---- 4. scratch root ----------------------------------------------------------------
step "install into a scratch root"
root=$out/root
rm -rf "$root"
mkdir -p "$root"
rpm --root "$root" --initdb
rpmi() { rpm --root "$root" --nodeps --noscripts "$@"; }
rpmi -i "${rpm_file[cvfs]}"
cvfs_bin=$root/usr/sbin/cvfs
[ "$(readlink -f "$root/usr/lib/systemd/system-generators/cvfs-generator")" = "$(readlink -f "$cvfs_bin")" ] ||
  fail "the generator link does not lead to cvfs"
conf=$out/conf
rm -rf "$conf"
mkdir -p "$conf/volumes"
printf '[plugins]\ndirs = ["%s/usr/lib64/cvfs/plugins"]\n[paths]\nrun_dir = "%s/run"\n' "$root" "$out" >"$conf/cvfs.toml"
# Sets $found to the names `cvfs plugins` lists, space-separated; fails
# when it refused any plugin.
list_plugins() {
  "$cvfs_bin" -c "$conf" plugins --json >"$out/plugins.json" 2>&1 || { cat "$out/plugins.json" >&2; fail "cvfs plugins failed"; }
  found=$( { grep -o '"name" *: *"[^"]*"' "$out/plugins.json" || true; } | sed 's/.*"\([^"]*\)"$/\1/' | sort | tr '\n' ' ')
}
list_plugins
[ -z "$found" ] || fail "plugins listed with only the core installed: $found"
for name in "${!rpm_file[@]}"; do
  [[ $name == cvfs-plugin-* ]] || continue
  plugin=$(plugin_of "$name")
  rpmi -i "${rpm_file[$name]}"
  list_plugins
  [ "$found" = "$plugin " ] || fail "with $name installed, cvfs plugins lists: '$found'"
  rpmi -e "$name"
  list_plugins
  [ -z "$found" ] || fail "after removing $name, cvfs plugins lists: '$found'"
done
for name in "${!rpm_file[@]}"; do [[ $name == cvfs-plugin-* ]] && rpmi -i "${rpm_file[$name]}"; done
list_plugins
echo "all plugins together: $found"

step "build the SDK example against the installed cvfs-devel"
rpmi -i "${rpm_file[cvfs-devel]}"
example=$root/usr/share/doc/cvfs-devel/examples/seed-key
# Debian's CMake does not look in lib64 by itself; Fedora's does.
cmake -S "$example" -B "$out/example" -Dcvfs-sdk_DIR="$root/usr/lib64/cmake/cvfs-sdk" >"$out/example.log" 2>&1 &&
  cmake --build "$out/example" >>"$out/example.log" 2>&1 || { cat "$out/example.log" >&2; fail "example build"; }
[ -f "$out/example/key-example-seed.so" ] || fail "the example built no plugin"
echo "rpm packages checked: ${#rpms[@]} packages"
