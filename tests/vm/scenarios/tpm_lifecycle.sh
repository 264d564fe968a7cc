#!/usr/bin/env bash
# The TPM key provider on a real kernel with a kernel TPM (/dev/tpmrm0, backed
# by swtpm on the host): a volume sealed to PCRs 7 and 11 is made, opened,
# written, closed and reopened with its data; a recovery key is added; then
# PCR 11 is extended in the guest, as a changed boot component would, and the
# next open fails naming PCR 11 while the data stays intact; `cvfs reseal`
# with the recovery key seals a new key to the new PCR state and the volume
# opens again with its data. A second volume adds a PIN (right and wrong).
# Needs root, device-mapper and a TPM (run.sh --tpm).
#
# Usage: scenarios/tpm_lifecycle.sh BUILD_DIR
set -Eeuo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build_dir=$(realpath "$1")
readonly root=/tmp/cvfs-tpm
readonly confdir=$root/conf
cvfs_bin=$build_dir/bin/cvfs

trap 'echo "tpm_lifecycle: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cvfs() { printf '$ cvfs %s\n' "$*"; "$cvfs_bin" -c "$confdir" "$@"; }
step() { printf '== %s (%d s)\n' "$*" "$SECONDS"; }

# expect_failure TEXT COMMAND...: the command fails and says TEXT.
expect_failure() {
  local text=$1; shift
  local out
  if out=$("$@" 2>&1); then echo "$out"; echo "expected a failure: $*" >&2; return 1; fi
  echo "$out"
  grep -qF -- "$text" <<<"$out" || { echo "the failure does not say: $text" >&2; return 1; }
}

setup() {
  rm -rf "$root"
  mkdir -p "$confdir/volumes" "$root/run" "$root/mnt"
  printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" \
    >"$confdir/cvfs.toml"
  [[ -c /dev/tpmrm0 ]] || { echo "no /dev/tpmrm0: run with run.sh --tpm" >&2; return 1; }
}

# write_volume NAME PCRS [PIN_FILE]: an ext4 volume in a block file, key sealed
# to the kernel's TPM (the default tcti, device:/dev/tpmrm0).
write_volume() {
  local name=$1 pcrs=$2 pin_file=${3:-}
  {
    printf 'volume = "%s"\ndev = "%s/%s.img"\nmakefs = "ext4"\n' "$name" "$root" "$name"
    printf '\n[encrypt.tpm]\npcrs = "%s"\n' "$pcrs"
    [[ -z $pin_file ]] || printf 'pin_file = "%s"\n' "$pin_file"
    printf '\n[device]\nsize = "96M"\n\n[mount]\npoint = "%s/mnt/%s"\n' "$root" "$name"
  } >"$confdir/volumes/$name.toml"
}

secret_file() {  # secret_file PATH TEXT: a root-only file
  (umask 077 && printf '%s' "$2" >"$1")
}

sealed_volume() {
  local point=$root/mnt/sealed
  write_volume sealed "sha256:7,11"
  step "init, open, write, close, reopen"
  cvfs init --yes sealed
  cvfs open sealed
  echo "data sealed by the TPM" >"$point/file.txt"
  cvfs close sealed
  cvfs open sealed
  [[ $(cat "$point/file.txt") == "data sealed by the TPM" ]]
  cvfs close sealed

  step "a recovery key"
  secret_file "$root/recovery.key" "a long recovery passphrase kept offline"
  cvfs add-recovery-key sealed --key-file "$root/recovery.key"

  step "PCR 11 extended in the guest: open fails and names it"
  tpm2_pcrextend -T device:/dev/tpmrm0 "11:sha256=$(printf '%064d' 11)"
  expect_failure "sha256 PCR 11 differs from the values at seal time" cvfs open sealed
  [[ ! -e /dev/mapper/sealed ]]
  cvfs show sealed | grep -q ready
  expect_failure "PCR mismatch" cvfs reseal sealed

  step "reseal with the recovery key, open again: the data is intact"
  cvfs reseal sealed --recovery-key-file "$root/recovery.key"
  cvfs open sealed
  [[ $(cat "$point/file.txt") == "data sealed by the TPM" ]]
  cvfs close sealed
  step "reseal by the TPM itself while the PCRs match, with the volume open"
  cvfs open sealed
  cvfs reseal sealed
  cvfs close sealed
  cvfs open sealed
  [[ $(cat "$point/file.txt") == "data sealed by the TPM" ]]
  cvfs close sealed
}

pin_volume() {
  local point=$root/mnt/pinned
  secret_file "$root/pin" "2468"
  write_volume pinned "sha256:7" "$root/pin"
  step "a volume with a PIN"
  cvfs init --yes pinned
  cvfs open pinned
  echo "data behind a PIN" >"$point/file.txt"
  cvfs close pinned
  secret_file "$root/pin" "1357"
  expect_failure "wrong PIN" cvfs open pinned
  [[ ! -e /dev/mapper/pinned ]]
  secret_file "$root/pin" "2468"
  cvfs open pinned
  [[ $(cat "$point/file.txt") == "data behind a PIN" ]]
  cvfs close pinned
}

setup
sealed_volume
pin_volume
rm -rf "$root"
echo "tpm_lifecycle: passed in $SECONDS s"
