#!/usr/bin/env python3
"""Makes the fuzz seeds that are not LUKS2 headers: TDX quotes and collateral
(the real ones in trust/ and the test data they came with), a TPM2 evidence
blob laid out field by field as the TPM marshals it, RA-TLS certificates
carrying either evidence (made with the openssl command), KMS protobuf
bodies and client key files, secretd stores and a TPM token.

    make_evidence_seeds.py <tdx test data folder> <corpus folder>
"""
import base64, os, struct, subprocess, sys, tempfile

data_dir, corpus = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
trust = os.path.join(here, '..', 'trust')


def put(target, name, content):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    with open(os.path.join(corpus, target, name), 'wb') as f:
        f.write(content if isinstance(content, bytes) else content.encode())


def read(folder, name):
    with open(os.path.join(folder, name), 'rb') as f:
        return f.read()


# TDX quotes and collateral.
for q in ('tdx_prod_quote_SPR_E4.dat', 'quote_v5_sample.dat'):
    put('tdx_quote', q, read(data_dir, q))
quote = read(data_dir, 'tdx_prod_quote_SPR_E4.dat')
pck_chain = quote[quote.index(b'-----BEGIN CERTIFICATE-----'):].rstrip(b'\0')
for i, (which, name) in enumerate([(0, 'sample_tcbInfo_response'), (0, 'sample_tcbinfo_response_v5'),
                                   (1, 'sample_qeIdentity_response'), (2, 'pckcrl'), (2, 'rootcrl.der'),
                                   (4, 'sample_tcbInfo_response')]):
    put('tdx_collateral', f'{which}-{name}', bytes([which]) + read(data_dir, name))
put('tdx_collateral', '3-pck-chain', bytes([3]) + pck_chain)
put('tdx_collateral', '3-tcb-signing-chain', bytes([3]) + read(data_dir, 'tcb_info_issuer_chain.pem'))


# TPM2 evidence: "CVFSTPM1" and four length-prefixed fields (tpm_evidence.h).
def tpm2b(b):
    return struct.pack('>H', len(b)) + b


ak_public = tpm2b(struct.pack('>HHI', 0x0023, 0x000b, 0x00050072) + tpm2b(b'') +
                  struct.pack('>HHHHH', 0x0010, 0x0018, 0x000b, 0x0003, 0x0010) +
                  tpm2b(bytes(range(32))) + tpm2b(bytes(range(32, 64))))
attest = (struct.pack('>IH', 0xff544347, 0x8018) + tpm2b(b'\x00\x0b' + bytes(32)) + tpm2b(bytes(32)) +
          struct.pack('>QIIB', 1000, 1, 0, 1) + struct.pack('>Q', 0x2023) +
          struct.pack('>IHB', 1, 0x000b, 3) + bytes([0x81, 0, 0]) + tpm2b(bytes(32)))
signature = struct.pack('>HH', 0x0018, 0x000b) + tpm2b(bytes(32)) + tpm2b(bytes(32))
pcr_values = bytes(64)
evidence = b'CVFSTPM1' + b''.join(struct.pack('>I', len(f)) + f for f in (ak_public, attest, signature, pcr_values))
put('tpm_evidence', 'quote-pcr0-7', evidence)


# RA-TLS certificates with the Intel extension (quote + key hash) or the TPM one.
def certificate(oid, content):
    with tempfile.TemporaryDirectory() as tmp:
        key = os.path.join(tmp, 'key.pem')
        subprocess.run(['openssl', 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], check=True)
        return subprocess.run(['openssl', 'req', '-x509', '-new', '-key', key, '-subj', '/CN=RA-TLS',
                               '-days', '1', '-addext', f'{oid}=DER:{content.hex()}'],
                              check=True, capture_output=True).stdout


put('ratls_certificate', 'intel-tdx', certificate('1.2.840.113741.1', quote[:4935] + bytes(32)))
put('ratls_certificate', 'cvfs-tpm', certificate('2.25.128998020511106692686296298585885964995', evidence))


# KMS: protobuf bodies (field numbers of kms_protobuf.h) and client key files.
def field(number, value):
    if isinstance(value, int):
        out, v = bytes([number << 3]), value
        while True:
            out += bytes([(v & 0x7f) | (0x80 if v > 0x7f else 0)])
            v >>= 7
            if not v:
                return out
    return bytes([number << 3 | 2, len(value)]) + value


put('kms_response', 'secret-value', field(1, b'disk-key') + field(2, b'Generic') +
    field(3, base64.b64encode(bytes(range(32)))) + field(4, b'text') + field(5, b'ACSCurrent') +
    field(6, b'v1') + field(8, b'6b4c1c1e-request'))
put('kms_response', 'error', field(1, 403) + field(2, b'Forbidden.NoPermission') +
    field(3, b'no permission') + field(4, b'6b4c1c1e-request'))
put('kms_response', 'http-date', 'Mon, 02 Jan 2006 15:04:05 GMT')
put('kms_response', 'password', '{"ClientKeyPassword": "fuzz-password"}')
with tempfile.TemporaryDirectory() as tmp:
    key, cert, p12 = (os.path.join(tmp, n) for n in ('k.pem', 'c.pem', 'k.p12'))
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
                    '-subj', '/CN=client-key', '-days', '1'], check=True, capture_output=True)
    subprocess.run(['openssl', 'pkcs12', '-export', '-inkey', key, '-in', cert, '-out', p12,
                    '-passout', 'pass:fuzz-password'], check=True)
    put('kms_response', 'client-key', '{"KeyId": "KAAP.fuzz", "PrivateKeyData": "%s"}' %
        base64.b64encode(read(tmp, 'k.p12')).decode())

# secretd: stores in the secretmanager's format, and configurations.
put('secretd_store', 'one', '{"luksKey": "0123456789abcdef0123456789abcdef"}')
put('secretd_store', 'two', '{\n  "luksKey": "a secret",\n  "other": "\\u00e9\\n"\n}\n')
put('secretd_config', 'fuzz', read(trust, 'secretd.toml'))
put('secretd_config', 'shipped', read(os.path.join(here, '..', '..', '..', 'conf', 'secretd'), 'secretd.toml'))

# The TPM provider's token values, as tpm_token.cpp stores them.
put('tpm_token', 'sealed', '{"type":"cvfs","keyslots":["0"],"state":"ready","volume":"data1","provider":"tpm",'
    '"fs":"ext4","created_by":"cvfs 0.1.0","provider_data":{"tpm.format":"1","tpm.pcrs":"sha256:0,7",'
    '"tpm.pcr_values":"%s,%s","tpm.pin":"false","tpm.primary":"srk-ecc-p256","tpm.policy":"%s",'
    '"tpm.public":"%s","tpm.private":"%s"}}' % ('00' * 32, '11' * 32, '22' * 32, ak_public.hex(), '0020' + '33' * 32))
