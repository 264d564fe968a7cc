#!/usr/bin/env bash
# Makes the throwaway PKI of the KMS test double in OUT_DIR, laid out like a
# real KMS instance's: a self-signed "Private KMS Root CA", a "Second CA"
# under it (pathlen 0), and the gateway's certificate for
# kst-test123.cryptoservice.kms.aliyuncs.com; kms_ca.pem holds root + second,
# like the console's PrivateKmsCA_kst-*.pem. Client keys are PKCS#12 files in
# the console's legacy format (RC2-40 certificate bag, 3DES key bag, SHA-1 MAC
# with one iteration), wrapped in the console's JSON:
#   client_key.json / client_key_password.txt   the key the double knows
#   client_cert.pem                             its certificate, for the double
#   other_key.json                              same KeyId, another RSA key
#   other_ca.pem                                an unrelated CA (wrong trust)
# Everything here is test-only and made fresh on each run.
#
# Usage: make_test_pki.sh OUT_DIR
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
out=$1
readonly host=kst-test123.cryptoservice.kms.aliyuncs.com
readonly key_id=KAAP.test-0001
mkdir -p "$out"
cd "$out"
umask 077

ossl() { openssl "$@" 2>/dev/null; }

rsa_key() { ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"; }

# A CA: ca NAME SUBJECT [ISSUER_NAME] [PATHLEN]
ca() {
  local name=$1 subject=$2 issuer=${3:-} pathlen=${4:-}
  rsa_key "$name.key"
  local ext="basicConstraints=critical,CA:TRUE${pathlen:+,pathlen:$pathlen}"
  if [[ -z $issuer ]]; then
    ossl req -x509 -new -key "$name.key" -subj "$subject" -days 30 -sha256 \
      -addext "$ext" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$name.pem"
  else
    ossl req -new -key "$name.key" -subj "$subject" -out "$name.csr"
    printf '%s\nkeyUsage=critical,keyCertSign,cRLSign\n' "$ext" >"$name.ext"
    ossl x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" -CAcreateserial \
      -days 30 -sha256 -extfile "$name.ext" -out "$name.pem"
  fi
}

# The console's client key: a self-signed certificate in a legacy PKCS#12.
client_key() {
  local name=$1 password=$2
  rsa_key "$name.key"
  ossl req -x509 -new -key "$name.key" -subj "/O=Alibaba/OU=Aliyun/CN=kst-test123-client" \
    -days 30 -sha256 -out "$name.cert.pem"
  ossl pkcs12 -export -legacy -inkey "$name.key" -in "$name.cert.pem" -passout "pass:$password" \
    -certpbe PBE-SHA1-RC2-40 -keypbe PBE-SHA1-3DES -macalg sha1 -iter 2048 -nomaciter \
    -out "$name.p12"
  printf '{"KeyId": "%s", "PrivateKeyData": "%s"}\n' "$key_id" "$(base64 -w0 "$name.p12")" \
    >"$name.json"
}

ca root "/O=Alibaba/OU=Aliyun/CN=Private KMS Root CA"
ca second "/O=Alibaba/OU=Aliyun/CN=Private KMS test Second CA" root 0
cat root.pem second.pem >kms_ca.pem

rsa_key server.key
ossl req -new -key server.key -subj "/O=Alibaba/OU=Aliyun/CN=$host" -out server.csr
printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$host" \
  >server.ext
ossl x509 -req -in server.csr -CA second.pem -CAkey second.key -CAcreateserial -days 30 -sha256 \
  -extfile server.ext -out server.pem
cat server.pem second.pem >server_chain.pem

ca other "/O=Elsewhere/CN=Unrelated Root CA"
cp other.pem other_ca.pem

password=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
client_key client "$password"
printf '%s\n' "$password" >client_key_password.txt
cp client.json client_key.json
cp client.cert.pem client_cert.pem
client_key other "$password"
cp other.json other_key.json

printf '%s\n' "$key_id" >key_id.txt
printf '%s\n' "$host" >host.txt
rm -f ./*.csr ./*.ext ./*.srl
echo "test PKI made in $out"
