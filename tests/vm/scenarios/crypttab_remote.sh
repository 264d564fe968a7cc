#!/bin/bash
# crypttab with remote key providers: a kms volume (its key a secret in an
# Aliyun KMS instance, played by the KMS test double on the guest's loopback)
# and an ra-tls volume (its key from cvfs-secretd in the guest, released after
# TPM2 attestation with the guest's swtpm), made by `cvfs init`, open through
# the cvfs token plugin with `cryptsetup open --token-only`, with
# `systemd-cryptsetup attach` and from crypttab lines through the generator's
# units; what is written through one mapping is there after close and reopen.
# A header of each kind tampered with (cipher_null in both copies, valid
# checksums) is refused before the key provider runs: the KMS double serves
# no request and secretd audits none while it is tried.
# Needs root, device-mapper and a TPM (run.sh --tpm).
#
# PKI_DIR is what tests/kms/make_test_pki.sh made on the host.
#
# Usage: scenarios/crypttab_remote.sh BUILD_DIR KMS_DOUBLE PKI_DIR [CASE...]
set -Eeuo pipefail

[[ $# -ge 3 ]] || { echo "usage: $0 BUILD_DIR KMS_DOUBLE PKI_DIR [CASE...]" >&2; exit 2; }
build_dir=$(realpath "$1") kms_double=$(realpath "$2") pki=$(realpath "$3")
shift 3
readonly scenario=crypttab_remote root=/tmp/cvfs-crypttab-remote
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/crypttab_lib.sh"
readonly sd=$root/secretd
all_cases=(install_plugin kms_volume ratls_volume crypttab_lines kms_tampered ratls_tampered)
double_pid="" double_log="" secretd_pid="" port="" served=""
secret_b64=$(head -c 32 /dev/urandom | base64 -w0)

# --- the KMS double -------------------------------------------------------

# start_double: a fresh double (a new port), serving both kms volumes'
# secrets; the kms volume files are rewritten to reach it.
start_double() {
  double_log=$root/double.$SECONDS.log
  rm -f "$root/port"
  (umask 077 && printf 'km-key=%s\nkmbad-key=%s\n' "$secret_b64" "$secret_b64" >"$root/secrets")
  "$kms_double" "$pki" "$root/port" "$root/secrets" >"$double_log" 2>&1 &
  double_pid=$!
  for _ in $(seq 50); do [[ -s $root/port ]] && break; sleep 0.1; done
  [[ -s $root/port ]] || fail "the KMS double did not start: $(cat "$double_log")"
  port=$(cat "$root/port")
  local name
  for name in km kmbad; do [[ ! -e $confdir/volumes/$name.toml ]] || kms_volume_file "$name"; done
}

# stop_double: stops it; sets served to the number of requests it served.
stop_double() {
  kill "$double_pid"
  wait "$double_pid" || true
  double_pid=""
  served=$(sed -n 's/^kms_double: \([0-9]*\) requests served$/\1/p' "$double_log")
  [[ -n $served ]] || fail "the KMS double did not say how many requests it served: $(cat "$double_log")"
}

toml_literal() { printf "'''\n%s'''" "$(cat "$1")"; }

kms_volume_file() {
  local name=$1
  (
    umask 077
    cat >"$confdir/volumes/$name.toml" <<TOML
volume = "$name"
dev = "$root/$name.img"
makefs = "ext4"

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
size = "64M"
TOML
  )
}

# --- cvfs-secretd -----------------------------------------------------------

make_secretd_pki() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=ratls-ca \
    -keyout "$sd/ca.key" -out "$sd/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=secretd \
    -keyout "$sd/server.key" -out "$sd/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\n' >"$sd/san.ext"
  openssl x509 -req -in "$sd/server.csr" -CA "$sd/ca.pem" -CAkey "$sd/ca.key" -CAcreateserial -days 2 \
    -extfile "$sd/san.ext" -out "$sd/server.crt" 2>/dev/null
  chmod 600 "$sd/server.key"
}

# secretd_config AK PCR0 PCR7: the release policy of both ra-tls volumes.
secretd_config() {
  local ak=$1 pcr0=$2 pcr7=$3 name
  {
    printf 'listen = "127.0.0.1:50051"\nserver_cert = "server.crt"\nserver_key = "server.key"\n'
    printf 'secrets = "secrets.json"\naudit_log = "audit.log"\n'
    for name in rt rtbad; do
      printf '[policy."%s"]\ntpm_ak = ["%s"]\ntpm_pcrs = { "0" = "%s", "7" = "%s" }\n' "$name" "$ak" "$pcr0" "$pcr7"
    done
  } >"$sd/secretd.toml"
}

reload_secretd() {
  local before
  before=$(grep -c reloaded "$sd/secretd.log" || true)
  kill -HUP "$secretd_pid"
  for _ in $(seq 50); do
    (($(grep -c reloaded "$sd/secretd.log" || true) > before)) && return 0
    sleep 0.1
  done
  fail "secretd did not reload: $(cat "$sd/secretd.log")"
}

start_secretd() {
  local zero
  mkdir -p "$sd"
  make_secretd_pki
  (umask 077 && printf '{"rt": "%s", "rtbad": "%s"}\n' "$(head -c 32 /dev/urandom | base64)" \
    "$(head -c 32 /dev/urandom | base64)" >"$sd/secrets.json")
  zero=$(printf '0%.0s' {1..64})
  secretd_config "$zero" "$zero" "$zero"
  "$build_dir/bin/cvfs-secretd" --config "$sd/secretd.toml" 2>"$sd/secretd.log" &
  secretd_pid=$!
  for _ in $(seq 100); do grep -q '(port' "$sd/secretd.log" && break; sleep 0.1; done
  grep -q '(port' "$sd/secretd.log" || fail "secretd did not start: $(cat "$sd/secretd.log")"
}

ratls_volume_file() {
  local name=$1
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
size = "64M"
VOL
}

audit_lines() { grep -c 'decision=' "$sd/audit.log" || true; }
audit_value() { grep -o " $1=[0-9a-f]*" "$sd/audit.log" | tail -1 | cut -d= -f2; }

# --- cases ------------------------------------------------------------------

case_kms_volume() {
  ip link set lo up
  start_double
  kms_volume_file km
  kms_volume_file kmbad
  km_loop=$(made km)
  made kmbad >/dev/null
  stop_double
  # A fresh double: every request it serves comes from the token plugin.
  start_double
  open_three_ways km "$km_loop"
  stop_double
  echo "the KMS double served $served requests to the token plugin"
  ((served >= 3)) || fail "three opens through the token plugin made $served requests to the KMS"
}

case_ratls_volume() {
  local ak pcr0 pcr7 output
  [[ -c /dev/tpmrm0 ]] || fail "no TPM in the guest (run.sh --tpm)"
  ip link set lo up
  start_secretd
  ratls_volume_file rt
  ratls_volume_file rtbad
  # The operator's way to the policy: the first request is refused, and its
  # audit line names the TPM's attestation key and PCRs.
  output=$("$cvfs_bin" -c "$confdir" init --yes rt 2>&1) && fail "secretd released a secret to an unknown TPM"
  grep -qF 'attestation refused' <<<"$output" || fail "the first init did not say: attestation refused: $output"
  ak=$(audit_value ak) pcr0=$(audit_value pcr0) pcr7=$(audit_value pcr7)
  [[ ${#ak} -eq 64 && ${#pcr0} -eq 64 && ${#pcr7} -eq 64 ]] || fail "the audit log names no AK and PCRs"
  secretd_config "$ak" "$pcr0" "$pcr7"
  reload_secretd
  rt_loop=$(made rt)
  made rtbad >/dev/null
  local before after
  before=$(audit_lines)
  open_three_ways rt "$rt_loop"
  after=$(audit_lines)
  echo "secretd audited $((after - before)) releases to the token plugin"
  ((after - before >= 3)) || fail "three opens through the token plugin made $((after - before)) requests to secretd"
  grep 'decision=' "$sd/audit.log" | tail -1 | grep -qF 'decision=released' || fail "secretd's last decision was no release"
}

# Both remote volumes from one crypttab file, the way an operator writes it.
case_crypttab_lines() {
  start_double
  crypttab_units "km=$km_loop:token-timeout=60" "rt=$rt_loop:token-timeout=90"
  stop_double
  ((served >= 1)) || fail "the open from the crypttab line made no request to the KMS"
}

case_kms_tampered() {
  local loop
  loop=$(tamper kmbad)
  start_double
  refused_attach kmbad "$loop"
  stop_double
  ((served == 0)) || fail "the KMS was asked for the key of a tampered header ($served requests)"
  losetup -d "$loop"
}

case_ratls_tampered() {
  local loop before
  loop=$(tamper rtbad)
  before=$(audit_lines)
  refused_attach rtbad "$loop"
  (($(audit_lines) == before)) ||
    fail "secretd was asked for the key of a tampered header: $(tail -n +$((before + 1)) "$sd/audit.log")"
  losetup -d "$loop"
}

cleanup() {
  [[ -n $double_pid ]] && kill "$double_pid" 2>/dev/null && wait "$double_pid" 2>/dev/null
  [[ -n $secretd_pid ]] && kill "$secretd_pid" 2>/dev/null && wait "$secretd_pid" 2>/dev/null
  detach_loops
}
trap cleanup EXIT
run_cases "$@"
