#!/usr/bin/env bash
# A persistent volume whose key is a secret in an Aliyun KMS instance, played
# by the KMS test double on the guest's loopback: init, open, write, close,
# reopen with the data intact, close. The volume file uses the seed tool's
# [encrypt.kms] keys (inline client key, password and CA, in a mode-0600
# file) plus endpoint_address, which only redirects the TCP connection: TLS
# still checks the instance's host name. Then, with the double stopped, open
# must fail with an error naming the volume and the endpoint, and leave no
# mapping behind. Needs root and device-mapper (run in the VM rig).
#
# PKI_DIR is what tests/kms/make_test_pki.sh made on the host (key generation
# is slow on the guest's emulated CPU); the guest reads it where it is.
#
# Usage: scenarios/kms_lifecycle.sh BUILD_DIR KMS_DOUBLE PKI_DIR
set -Eeuo pipefail

[[ $# -eq 3 ]] || { echo "usage: $0 BUILD_DIR KMS_DOUBLE PKI_DIR" >&2; exit 2; }
build_dir=$(realpath "$1")
kms_double=$(realpath "$2")
pki=$(realpath "$3")
readonly root=/tmp/cvfs-kms
readonly confdir=$root/conf
readonly name=kmsdata
cvfs_bin=$build_dir/bin/cvfs
double_pid=""

trap 'echo "kms_lifecycle: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cleanup() {
  [[ -n $double_pid ]] && kill "$double_pid" 2>/dev/null && wait "$double_pid" 2>/dev/null
  "$cvfs_bin" -c "$confdir" close "$name" >/dev/null 2>&1 || true
  return 0
}
trap cleanup EXIT
cvfs() { printf '$ cvfs %s\n' "$*"; "$cvfs_bin" -c "$confdir" "$@"; }

# The double, on loopback, serving the volume's secret.
start_double() {
  rm -f "$root/port"
  (umask 077 && printf '%s=%s\n' "$name-key" "$secret_b64" >"$root/secrets")
  "$kms_double" "$pki" "$root/port" "$root/secrets" &
  double_pid=$!
  for _ in $(seq 50); do [[ -s $root/port ]] && break; sleep 0.1; done
  [[ -s $root/port ]] || { echo "the KMS double did not start" >&2; return 1; }
  port=$(cat "$root/port")
}

# A TOML multi-line literal string holding FILE's text.
toml_literal() { printf "'''\n%s'''" "$(cat "$1")"; }

write_volume() {
  (
    umask 077
    cat >"$confdir/volumes/$name.toml" <<TOML
volume = "$name"
dev = "$root/$name.img"
makefs = "ext4"
integrity = false

[encrypt.kms]
kms_instance_id = "kst-test123"
secret_name = "$name-key"
client_key = $(toml_literal "$pki/client_key.json")
client_key_password = "$(tr -d '\n' <"$pki/client_key_password.txt")"
kms_cert_pem = """
$(cat "$pki/kms_ca.pem")
"""
endpoint_address = "127.0.0.1:$port"

[device]
size = "160M"

[mount]
point = "$root/mnt"
TOML
  )
}

ip link set lo up
rm -rf "$root"
mkdir -p "$confdir/volumes" "$root/run"
printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" \
  >"$confdir/cvfs.toml"
secret_b64=$(head -c 32 /dev/urandom | base64 -w0)
start=$SECONDS
start_double
write_volume
ls -l "$confdir/volumes/$name.toml"

cvfs init --yes "$name"
cvfs open "$name"
findmnt -no FSTYPE "$root/mnt" | grep -qx ext4
echo "data kept by a KMS-keyed volume" >"$root/mnt/file.txt"
cvfs close "$name"
[[ ! -e /dev/mapper/$name ]]
cvfs open "$name"
[[ $(cat "$root/mnt/file.txt") == "data kept by a KMS-keyed volume" ]]
cvfs close "$name"
echo "== lifecycle passed in $((SECONDS - start)) s"

# Without the KMS the volume stays closed, and the error says where it failed.
kill "$double_pid"; wait "$double_pid" 2>/dev/null || true; double_pid=""
if "$cvfs_bin" -c "$confdir" open "$name" >"$root/open.out" 2>&1; then
  echo "open succeeded without the KMS" >&2; exit 1
fi
cat "$root/open.out"
grep -q "$name" "$root/open.out"
grep -q "kst-test123.cryptoservice.kms.aliyuncs.com" "$root/open.out"
if grep -q "$secret_b64" "$root/open.out"; then echo "the secret leaked into the error" >&2; exit 1; fi
[[ ! -e /dev/mapper/$name ]]
rm -rf "$root"
echo "kms_lifecycle: passed"
