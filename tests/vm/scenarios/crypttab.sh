#!/bin/bash
# crypttab: cvfs volumes opened by libcryptsetup's own tools through the cvfs
# token plugin (libcryptsetup-token-cvfs.so), without the cvfs command:
#   - a keyfile and a tpm volume (swtpm as the guest's TPM), made by `cvfs init`,
#     open with `cryptsetup open --token-only --token-type cvfs`, with
#     `systemd-cryptsetup attach`, and from a crypttab line through the units
#     systemd-cryptsetup-generator makes of it, and their data is intact;
#   - a header tampered with (cipher_null written into both copies, with valid
#     checksums) is refused by the token plugin before the key provider runs:
#     the key file is never opened, and nothing is mapped.
# libcryptsetup loads token plugins from one folder fixed at its build; the
# scenario mounts a scratch folder over it holding the distribution's plugins
# and the built one. Needs root, device-mapper, strace and a TPM (run.sh --tpm).
#
# Usage: scenarios/crypttab.sh BUILD_DIR [CASE...]   (default: every case)
set -Eeuo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 BUILD_DIR [CASE...]" >&2; exit 2; }
build_dir=$(realpath "$1"); shift
readonly scenario=crypttab root=/tmp/cvfs-crypttab
source "$(dirname "$0")/lib.sh"
tamper_bin=$build_dir/tests/vm/luks-tamper
all_cases=(install_plugin keyfile_volume tpm_volume crypttab_line tampered_header)
export CVFS_TOKEN_CONFDIR=$confdir
attach=/lib/systemd/systemd-cryptsetup

# volume NAME PROVIDER: an ext4 volume in a 64 MiB block file, not mounted by
# cvfs (libcryptsetup's tools only map it).
volume() {
  local name=$1 provider=$2
  {
    printf 'volume = "%s"\ndev = "%s/%s.img"\nmakefs = "ext4"\n' "$name" "$root" "$name"
    case $provider in
      keyfile) printf '\n[encrypt.keyfile]\nkey_file = "%s/keys/%s.key"\n' "$root" "$name" ;;
      tpm) printf '\n[encrypt.tpm]\npcrs = "sha256:7"\n' ;;
    esac
    printf '\n[device]\nsize = "64M"\n'
  } >"$confdir/volumes/$name.toml"
}

# made NAME: init the volume, put a file on it with cvfs, close it; prints its loop device.
made() {
  local name=$1
  cvfs init --yes "$name" >&2
  cvfs open "$name" >&2
  mkdir -p "$root/mnt/$name"
  mount "/dev/mapper/$name" "$root/mnt/$name"
  echo "data of $name" >"$root/mnt/$name/file"
  umount "$root/mnt/$name"
  cvfs close "$name" >&2
  losetup -f --show "$root/$name.img"
}

# intact NAME: the mapping libcryptsetup made holds the file cvfs wrote.
intact() {
  local name=$1
  mount -o ro "/dev/mapper/$name" "$root/mnt/$name"
  grep -qx "data of $name" "$root/mnt/$name/file" || fail "$name: the data is not there"
  umount "$root/mnt/$name"
}

case_install_plugin() {
  local dir
  dir=$(cryptsetup --help | sed -n 's/^LUKS2 external token plugin path: \(.*\)\.$/\1/p')
  [[ -d $dir ]] || fail "libcryptsetup names no token plugin folder"
  mkdir -p "$root/tokens"
  cp -a "$dir"/. "$root/tokens/"
  cp "$build_dir/lib/libcryptsetup-token-cvfs.so" "$root/tokens/"
  mount --bind "$root/tokens" "$dir"
  echo "token plugins in $dir: $(ls "$dir" | tr '\n' ' ')"
}

open_three_ways() {
  local name=$1 loop=$2
  # cryptsetup, the token alone (no passphrase prompt to fall back to).
  cryptsetup open --token-only --token-type cvfs "$loop" "$name" </dev/null
  intact "$name"
  cryptsetup close "$name"
  # systemd-cryptsetup, as a crypttab line "NAME LOOP none" runs it
  # (headless in the tampered case: after a refused token it would ask for a passphrase).
  "$attach" attach "$name" "$loop" none "" </dev/null
  intact "$name"
  "$attach" detach "$name"
  check_no_mapping "$name"
}

check_no_mapping() { [[ ! -e /dev/mapper/$1 ]] || fail "$1 is still mapped"; }

case_keyfile_volume() {
  volume kf keyfile
  kf_loop=$(made kf)
  open_three_ways kf "$kf_loop"
  cryptsetup luksDump "$kf_loop" | grep -F "cvfs volume: kf" || fail "luksDump does not show the cvfs token"
}

case_tpm_volume() {
  volume tp tpm
  tp_loop=$(made tp)
  open_three_ways tp "$tp_loop"
}

# A crypttab file as an operator writes it, through the generator's units.
case_crypttab_line() {
  local out=$root/units unit exec
  rm -rf "$out"; mkdir -p "$out"
  printf 'kf %s none token-timeout=30\ntp %s none\n' "$kf_loop" "$tp_loop" >"$root/crypttab"
  SYSTEMD_CRYPTTAB=$root/crypttab /lib/systemd/system-generators/systemd-cryptsetup-generator "$out" "$out" "$out"
  for name in kf tp; do
    unit=$out/systemd-cryptsetup@$name.service
    [[ -f $unit ]] || fail "the generator made no unit for $name"
    exec=$(sed -n 's/^ExecStart=//p' "$unit")
    echo "$name: $exec"
    eval "$exec" </dev/null
    intact "$name"
    "$attach" detach "$name"
    check_no_mapping "$name"
  done
}

case_tampered_header() {
  local name=tampered loop trace=$root/attach.trace status=0 output
  volume "$name" keyfile
  loop=$(made "$name")
  losetup -d "$loop"
  "$tamper_bin" "$root/$name.img" '"encryption":"aes-xts-plain64"' '"encryption":"cipher_null-ecb"'
  loop=$(losetup -f --show "$root/$name.img")
  output=$(strace -f -qq -e trace=open,openat -o "$trace" \
    timeout 60 "$attach" attach "$name" "$loop" none headless=true </dev/null 2>&1) || status=$?
  echo "$output"
  ((status != 0)) || fail "systemd-cryptsetup opened a tampered header"
  grep -qF "cipher_null" <<<"$output" || fail "the refusal does not say what is wrong"
  grep -qF "libcryptsetup-token-cvfs.so" "$trace" || fail "the token plugin was never loaded"
  ! grep -F "keys/$name.key" "$trace" || fail "the key file was opened for a tampered header"
  output=$(cryptsetup open --token-only --token-type cvfs "$loop" "$name" </dev/null 2>&1) && fail "cryptsetup opened it"
  echo "$output"
  grep -qF "cipher_null" <<<"$output" || fail "cryptsetup's refusal does not say what is wrong"
  check_no_mapping "$name"
  losetup -d "$loop"
}

cleanup() {
  for loop in $(losetup -j "$root/kf.img" -nO NAME 2>/dev/null) $(losetup -j "$root/tp.img" -nO NAME 2>/dev/null); do
    losetup -d "$loop" || true
  done
}
trap cleanup EXIT
run_cases "$@"
