#!/usr/bin/env bash
# A persistent volume whose key comes from cvfs-secretd after TPM2
# attestation, on a real kernel (run in the VM rig with --tpm): secretd runs
# in the guest on loopback, the ra-tls plugin quotes the guest's TPM through
# /dev/tpmrm0. The operator's workflow is played out: the first request is
# refused and its audit line names the TPM's attestation key and PCRs; that
# goes into the policy, SIGHUP, and then init, open, write, close, reopen
# keep the data. A changed PCR in the policy refuses the open and leaves the
# volume untouched; restoring the policy opens it with its data.
# In the same boot, a second volume takes TDX evidence: there is no TDX here,
# so its quote source (tdx_quote_command) is the test quote generator, whose
# quotes secretd verifies against the generator's test root like real ones.
#
# Usage: scenarios/ratls_volumes.sh BUILD_DIR
set -Eeuo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build_dir=$(realpath "$1")
readonly root=/tmp/cvfs-ratls
readonly confdir=$root/conf sd=$root/secretd name=vm-data tdx_name=vm-tdx
cvfs_bin=$build_dir/bin/cvfs
quote_bin=$build_dir/tests/ratls/ratls_test_quote
secretd_pid=""

trap 'echo "ratls_volumes: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cleanup() {
  "$cvfs_bin" -c "$confdir" close "$name" >/dev/null 2>&1 || true
  "$cvfs_bin" -c "$confdir" close "$tdx_name" >/dev/null 2>&1 || true
  [[ -n $secretd_pid ]] && kill "$secretd_pid" 2>/dev/null && wait "$secretd_pid" 2>/dev/null
  return 0
}
trap cleanup EXIT
step() { printf 'ratls: %s\n' "$*"; }
cvfs() { printf '$ cvfs %s\n' "$*"; "$cvfs_bin" -c "$confdir" "$@"; }

make_pki() {
  step "a CA and a server certificate for secretd (127.0.0.1)"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=ratls-ca \
    -keyout "$sd/ca.key" -out "$sd/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=secretd \
    -keyout "$sd/server.key" -out "$sd/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\n' >"$sd/san.ext"
  openssl x509 -req -in "$sd/server.csr" -CA "$sd/ca.pem" -CAkey "$sd/ca.key" -CAcreateserial -days 2 \
    -extfile "$sd/san.ext" -out "$sd/server.crt" 2>/dev/null
  chmod 600 "$sd/server.key"
}

# secretd's configuration with the policy of $name: AK and PCR 0 and 7 values.
write_secretd_config() {
  local ak=$1 pcr0=$2 pcr7=$3
  cat >"$sd/secretd.toml" <<CONF
listen = "127.0.0.1:50051"
server_cert = "server.crt"
server_key = "server.key"
secrets = "secrets.json"
audit_log = "audit.log"
[tdx]
root_ca = "tdx/root.pem"
[policy."$name"]
tpm_ak = ["$ak"]
tpm_pcrs = { "0" = "$pcr0", "7" = "$pcr7" }
[policy."$tdx_name"]
tdx_mrtd = ["$(printf '7d%.0s' {1..48})"]
CONF
}

reload_secretd() {
  local before
  before=$(grep -c reloaded "$sd/secretd.log" || true)
  kill -HUP "$secretd_pid"
  for _ in $(seq 50); do
    (($(grep -c reloaded "$sd/secretd.log" || true) > before)) && return 0
    sleep 0.1
  done
  echo "secretd did not reload" >&2
  cat "$sd/secretd.log" >&2
  return 1
}

setup() {
  rm -rf "$root"
  mkdir -p "$confdir/volumes" "$root/run" "$sd"
  ip link set lo up
  [[ -c /dev/tpmrm0 ]]
  make_pki
  mkdir -p "$sd/tdx"
  "$quote_bin" --make-pki "$sd/tdx"
  printf '#!/bin/sh\nexec %q %q\n' "$quote_bin" "$sd/tdx" >"$sd/quote.sh"
  chmod 755 "$sd/quote.sh"
  (umask 077 && printf '{"%s": "%s", "%s": "%s"}\n' "$name" "$(head -c 32 /dev/urandom | base64)" \
    "$tdx_name" "$(head -c 32 /dev/urandom | base64)" >"$sd/secrets.json")
  write_secretd_config "$(printf '0%.0s' {1..64})" "$(printf '0%.0s' {1..64})" "$(printf '0%.0s' {1..64})"
  step "cvfs-secretd --check, then start it"
  "$build_dir/bin/cvfs-secretd" --check --config "$sd/secretd.toml"
  "$build_dir/bin/cvfs-secretd" --config "$sd/secretd.toml" 2>"$sd/secretd.log" &
  secretd_pid=$!
  for _ in $(seq 100); do grep -q '(port' "$sd/secretd.log" && break; sleep 0.1; done
  grep -q '(port' "$sd/secretd.log"

  printf '[plugins]\ndirs = ["%s/plugins.out"]\n[paths]\nrun_dir = "%s/run"\n' "$build_dir" "$root" \
    >"$confdir/cvfs.toml"
  cat >"$confdir/volumes/$name.toml" <<VOL
volume = "$name"
dev = "$root/$name.img"
makefs = "ext4"

[encrypt.ra-tls]
server = "127.0.0.1:50051"
secret_id = "$name"
server_ca = "$sd/ca.pem"
evidence = "tpm"
tpm_tcti = "device:/dev/tpmrm0"
tpm_pcrs = "0,7"
timeout_seconds = 60
attempts = 1

[device]
size = "160M"

[mount]
point = "$root/mnt/$name"
VOL
}

write_tdx_volume() {
  cat >"$confdir/volumes/$tdx_name.toml" <<VOL
volume = "$tdx_name"
dev = "$root/$tdx_name.img"
makefs = "ext4"

[encrypt.ra-tls]
server = "127.0.0.1:50051"
secret_id = "$tdx_name"
server_ca = "$sd/ca.pem"
evidence = "tdx"
tdx_quote_command = "$sd/quote.sh"
attempts = 1

[device]
size = "160M"

[mount]
point = "$root/mnt/$tdx_name"
VOL
}

audit_value() { grep -o " $1=[0-9a-f]*" "$sd/audit.log" | tail -1 | cut -d= -f2; }

setup
step "the first request is refused: the policy does not know this TPM yet"
if cvfs init --yes "$name" >"$root/first.out" 2>&1; then
  echo "secretd released a secret to an unknown TPM" >&2; exit 1
fi
cat "$root/first.out"
grep -q 'attestation refused' "$root/first.out"
tail -1 "$sd/audit.log"
ak=$(audit_value ak) pcr0=$(audit_value pcr0) pcr7=$(audit_value pcr7)
[[ ${#ak} -eq 64 && ${#pcr0} -eq 64 && ${#pcr7} -eq 64 ]]
step "policy: AK $ak, PCR 0 and 7 as measured; SIGHUP"
write_secretd_config "$ak" "$pcr0" "$pcr7"
reload_secretd

start=$SECONDS
cvfs init --yes "$name"
cvfs open "$name"
findmnt -no FSTYPE "$root/mnt/$name" | grep -qx ext4
echo "kept across opens" >"$root/mnt/$name/file.txt"
cvfs close "$name"
[[ ! -e /dev/mapper/$name ]]
cvfs open "$name"
[[ $(cat "$root/mnt/$name/file.txt") == "kept across opens" ]]
cvfs close "$name"
step "init + open + close + open + close with keys from secretd: $((SECONDS - start)) s"

step "a policy that expects another PCR 7 refuses the open and leaves the volume alone"
write_secretd_config "$ak" "$pcr0" "$(printf 'e%.0s' {1..64})"
reload_secretd
if cvfs open "$name" >"$root/refused.out" 2>&1; then
  echo "the volume opened against the policy" >&2; exit 1
fi
cat "$root/refused.out"
grep -q 'PCR 7' "$root/refused.out"
[[ ! -e /dev/mapper/$name ]]
write_secretd_config "$ak" "$pcr0" "$pcr7"
reload_secretd
cvfs open "$name"
[[ $(cat "$root/mnt/$name/file.txt") == "kept across opens" ]]
cvfs close "$name"

step "a second volume with TDX evidence (quotes from the test quote generator)"
write_tdx_volume
cvfs init --yes "$tdx_name"
cvfs open "$tdx_name"
echo "tdx data" >"$root/mnt/$tdx_name/file.txt"
cvfs close "$tdx_name"
cvfs open "$tdx_name"
[[ $(cat "$root/mnt/$tdx_name/file.txt") == "tdx data" ]]
cvfs close "$tdx_name"
grep -q "secret=\"$tdx_name\" evidence=tdx mrtd=7d7d" "$sd/audit.log"

step "the audit log has every decision and never the secret"
grep -c 'decision=' "$sd/audit.log"
for secret in $(grep -o '": "[^"]*"' "$sd/secrets.json" | cut -d'"' -f3); do
  if grep -qF "$secret" "$sd/audit.log" "$sd/secretd.log" "$root/first.out" "$root/refused.out"; then
    echo "a secret appears in a log or an error" >&2; exit 1
  fi
done
rm -f "$root/$name.img" "$root/$tdx_name.img"
step "all checks passed"
