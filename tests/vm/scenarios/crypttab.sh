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
source "$(dirname "$0")/crypttab_lib.sh"
all_cases=(install_plugin keyfile_volume tpm_volume crypttab_line tampered_header)

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
case_crypttab_line() { crypttab_units "kf=$kf_loop:token-timeout=30" "tp=$tp_loop"; }

case_tampered_header() {
  local name=tampered loop trace=$root/attach.trace status=0 output
  volume "$name" keyfile
  made "$name" >/dev/null
  loop=$(tamper "$name")
  output=$(strace -f -qq -e trace=open,openat -o "$trace" \
    timeout 60 "$attach" attach "$name" "$loop" none headless=true </dev/null 2>&1) || status=$?
  echo "$output"
  grep -qF "libcryptsetup-token-cvfs.so" "$trace" || fail "the token plugin was never loaded"
  ! grep -F "keys/$name.key" "$trace" || fail "the key file was opened for a tampered header"
  ((status != 0)) || fail "systemd-cryptsetup opened a tampered header"
  refused_attach "$name" "$loop"
  losetup -d "$loop"
}

cleanup() { detach_loops; }
trap cleanup EXIT
run_cases "$@"
