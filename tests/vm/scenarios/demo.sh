#!/usr/bin/env bash
# The README's demo, told step by step: a persistent passphrase volume
# ("vault") and a throw-away one-time-key volume ("scratch") from
# conf/demo/volumes, opened, used, closed and opened again with the cvfs
# command. Needs root and a kernel with device-mapper (run by tests/vm/demo.sh,
# on the host or in the VM rig).
#
# Usage: scenarios/demo.sh SOURCE_DIR BUILD_DIR
set -Eeuo pipefail

[[ $# -eq 2 ]] || { echo "usage: $0 SOURCE_DIR BUILD_DIR" >&2; exit 2; }
source_dir=$(realpath "$1")
build_dir=$(realpath "$2")
readonly demo_root=/tmp/cvfs-demo
readonly confdir=$demo_root/conf
cvfs_bin=$build_dir/bin/cvfs

say() { printf '\n== %s\n' "$*"; }
trap 'echo "demo: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR

# Prints the command, then runs it.
run() {
  printf '$ %s\n' "$*"
  "$@" || { echo "demo: FAILED: $*" >&2; exit 1; }
}

# Prints a shell command line, then runs it.
run_shell() {
  printf '$ %s\n' "$1"
  sh -c "$1" || { echo "demo: FAILED: $1" >&2; exit 1; }
}

cvfs() { run "$cvfs_bin" -c "$confdir" "$@"; }

# After a failure, leaves no volume open behind.
close_all_on_failure() {
  local status=$?
  [[ $status -eq 0 || ! -d $confdir ]] && return 0
  "$cvfs_bin" -c "$confdir" close --all >/dev/null 2>&1 || true
}

# Prints the value of KEY (a quoted string) in the demo's volume files.
config_value() {
  sed -n "s/^ *$1 *= *\"\\(.*\\)\" *\$/\\1/p" "$source_dir"/conf/demo/volumes/*.toml | head -n1
}

remove_demo_root() {
  if findmnt -rno TARGET | grep -q "^$demo_root/"; then
    echo "demo: something is still mounted under $demo_root; leaving it" >&2
    return 1
  fi
  rm -rf "$demo_root"
}

make_confdir() {
  say "a configuration folder with the demo's two volumes"
  remove_demo_root
  mkdir -p "$confdir/volumes" "$demo_root/run"
  cp "$source_dir"/conf/demo/volumes/*.toml "$confdir/volumes/"
  cat >"$confdir/cvfs.toml" <<EOF
# Demo settings: plugins from the build tree, lock files in the demo folder.
[plugins]
dirs = ["$build_dir/plugins.out"]

[paths]
run_dir = "$demo_root/run"
EOF
  run ls "$confdir" "$confdir/volumes"
  local key_file
  key_file=$(config_value key_file)
  [[ -n $key_file ]] || { echo "demo: no key_file in conf/demo/volumes" >&2; exit 1; }
  say "the vault's passphrase, in a key file only root can read: $key_file"
  mkdir -p "$(dirname "$key_file")"
  (umask 077 && head -c 24 /dev/urandom | base64 >"$key_file")
  run ls -l "$key_file"
}

main() {
  trap close_all_on_failure EXIT
  [[ -x $cvfs_bin ]] || { echo "demo: $cvfs_bin is missing: build the cvfs target" >&2; exit 1; }
  make_confdir
  local vault scratch
  vault=$(sed -n 's/^ *point *= *"\(.*\)"/\1/p' "$confdir/volumes/vault.toml")
  scratch=$(sed -n 's/^ *point *= *"\(.*\)"/\1/p' "$confdir/volumes/scratch.toml")

  say "what cvfs sees before anything exists"
  cvfs show
  say "make the vault: a LUKS2 volume in a block file, key from the passphrase file"
  cvfs init vault --yes
  say "open every volume: the vault is unlocked, the scratch volume made afresh"
  cvfs open --all
  run findmnt -no SOURCE,TARGET,FSTYPE "$vault"
  run findmnt -no SOURCE,TARGET,FSTYPE "$scratch"
  say "write into both"
  run_shell "echo 'kept across open and close' > $vault/note.txt"
  run_shell "echo 'gone after close' > $scratch/temp.txt"
  cvfs show
  say "close every volume, then open them again"
  cvfs close --all
  cvfs open --all
  say "the vault kept its file; the scratch volume is empty again"
  run cat "$vault/note.txt"
  [[ $(cat "$vault/note.txt") == "kept across open and close" ]]
  run ls -A "$scratch"
  [[ -z $(find "$scratch" -mindepth 1 -maxdepth 1 ! -name lost+found) ]]
  say "close everything"
  cvfs close --all
  cvfs show
  remove_demo_root
  say "demo finished"
}

main "$@"
