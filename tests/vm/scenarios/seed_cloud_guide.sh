#!/usr/bin/env bash
# The cloud guide of the seed tool, done with cvfs as its reader would: a
# data disk with two partitions; data0 on the first is temporary (the seed's
# otp.toml, unchanged but for the disk's name here), data1 on the second is
# persistent with its passphrase in a KMS instance (the seed's kms.toml with
# the placeholders filled in, as the guide tells; the instance is the KMS
# test double on the guest's loopback, reached through endpoint_address).
# The walk: check the configuration, init data1, open both, mount them as
# the guide's fstab lines do, write, unmount, close, open again: data0 comes
# back empty and freshly made, data1 keeps its data. Needs root,
# device-mapper and an NVMe disk (run.sh --nvme).
#
# Usage: scenarios/seed_cloud_guide.sh BUILD_DIR SEED_DIR KMS_DOUBLE PKI_DIR
set -Eeuo pipefail

[[ $# -eq 4 ]] || { echo "usage: $0 BUILD_DIR SEED_DIR KMS_DOUBLE PKI_DIR" >&2; exit 2; }
build_dir=$(realpath "$1")
seed_dir=$(realpath "$2")
kms_double=$(realpath "$3")
pki=$(realpath "$4")
readonly root=/tmp/cvfs-cloud-guide
readonly confdir=$root/conf
readonly disk=/dev/nvme0n1  # the guide's /dev/nvme1n1: the guest has one NVMe disk
cvfs_bin=$build_dir/bin/cvfs
double_pid=""

trap 'echo "seed_cloud_guide: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cleanup() {
  [[ -n $double_pid ]] && kill "$double_pid" 2>/dev/null && wait "$double_pid" 2>/dev/null
  return 0
}
trap cleanup EXIT
cvfs() { printf '$ cvfs %s\n' "$*"; "$cvfs_bin" -c "$confdir" "$@"; }
fail() { echo "seed_cloud_guide: $*" >&2; return 1; }

partition_disk() {
  echo "== the data disk: two partitions"
  sgdisk --zap-all "$disk" >/dev/null
  sgdisk -n 1:0:+400M -c 1:data0 -n 2:0:0 -c 2:data1 "$disk" >/dev/null
  partx -u "$disk" 2>/dev/null || blockdev --rereadpt "$disk"
  for _ in $(seq 50); do [[ -b ${disk}p2 ]] && break; sleep 0.1; done
  [[ -b ${disk}p1 && -b ${disk}p2 ]] || fail "the partitions did not appear"
}

start_kms() {
  ip link set lo up
  (umask 077 && printf 'data1-passphrase=%s\n' "$(head -c 32 /dev/urandom | base64 -w0)" >"$root/secrets")
  "$kms_double" "$pki" "$root/port" "$root/secrets" &
  double_pid=$!
  for _ in $(seq 50); do [[ -s $root/port ]] && break; sleep 0.1; done
  [[ -s $root/port ]] || fail "the KMS double did not start"
}

# The seed's files: otp.toml as it is; kms.toml with its XXXXXXXXX filled in.
write_volumes() {
  echo "== the volume files, from the seed"
  sed "s|/dev/nvme1n1p1|${disk}p1|" "$seed_dir/otp.toml" >"$confdir/volumes/data0.toml"
  (
    umask 077
    fill_kms_placeholders <"$seed_dir/kms.toml" >"$confdir/volumes/data1.toml"
    printf 'endpoint_address = "127.0.0.1:%s"\n' "$(cat "$root/port")" >>"$confdir/volumes/data1.toml"
  )
  diff "$seed_dir/otp.toml" "$confdir/volumes/data0.toml" || true
}

# Fills the kms.toml placeholders the way the guide's reader does.
fill_kms_placeholders() {
  local key_id data password ca
  key_id=$(sed -n 's/.*"KeyId": *"\([^"]*\)".*/\1/p' "$pki/client_key.json")
  data=$(sed -n 's/.*"PrivateKeyData": *"\([^"]*\)".*/\1/p' "$pki/client_key.json")
  password=$(tr -d '\n' <"$pki/client_key_password.txt")
  ca=$(sed -n '/BEGIN CERTIFICATE/,$p' "$pki/kms_ca.pem" | sed '1d')
  awk -v key_id="$key_id" -v data="$data" -v password="$password" -v ca="$ca" '
    /^volume = / { print "volume = \"data1\""; next }
    /^dev = / { print "dev = \"'"${disk}p2"'\""; next }
    /^secret_name = / { print "secret_name = \"data1-passphrase\""; next }
    /"KeyId":/ { print "  \"KeyId\": \"" key_id "\","; next }
    /"PrivateKeyData":/ { print "  \"PrivateKeyData\": \"" data "\""; next }
    /^client_key_password = / { print "client_key_password = \"" password "\""; next }
    /^kms_instance_id = / { print "kms_instance_id = \"kst-test123\""; next }
    /^XXXXXXXXX$/ { print ca; next }
    { print }'
}

setup() {
  rm -rf "$root"
  mkdir -p "$confdir/volumes" "$root/run" /mnt/data0 /mnt/data1
  printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" \
    >"$confdir/cvfs.toml"
}

mount_both() {  # the guide's fstab lines, by hand
  mount /dev/mapper/data0 /mnt/data0
  mount /dev/mapper/data1 /mnt/data1
}

setup
partition_disk
start_kms
write_volumes
cvfs config check
cvfs show

echo "== init the persistent volume; the temporary one needs none"
cvfs init --yes data1
echo "== open both (auto_open volumes: what boot does)"
cvfs open --all
mount_both
echo "scratch" >/mnt/data0/tmp.txt
echo "kept" >/mnt/data1/keep.txt
cvfs show
umount /mnt/data0 /mnt/data1
cvfs close --all
[[ ! -e /dev/mapper/data0 && ! -e /dev/mapper/data1 ]] || fail "a mapping is left"

echo "== next boot: open both again"
cvfs open --all
mount_both
[[ ! -e /mnt/data0/tmp.txt ]] || fail "data0 kept data across a close: it must be temporary"
[[ $(cat /mnt/data1/keep.txt) == kept ]] || fail "data1 lost its data"
umount /mnt/data0 /mnt/data1
cvfs close --all
rm -rf "$root"
echo "seed_cloud_guide: passed"
