# `cvfs adopt` of a volume made as Intel's create_encrypted_vfs.sh makes it
# (cryptsetup luksFormat -s 512 -c aes-xts-plain64, 512-byte sectors, argon2id,
# no token), on the host (adopt maps nothing): show names the [luks] line it
# needs and offers adopt, adopt with --key-file enrols the keyfile provider
# and writes the cvfs token, a second adopt does nothing, removing the old
# keyslot needs --yes without a terminal; a tampered foreign header is called
# damaged or tampered, not foreign, and gets no token.
. "$(dirname "$0")/common.sh"
printf '%s' 'the old passphrase' > "$SCRATCH/old.pass"
chmod 600 "$SCRATCH/old.pass"
truncate -s 32M "$SCRATCH/vfs.img"
cryptsetup luksFormat -q --type luks2 -s 512 -c aes-xts-plain64 --sector-size 512 \
    --pbkdf-memory 65536 --iter-time 200 --key-file "$SCRATCH/old.pass" "$SCRATCH/vfs.img"
cp "$SCRATCH/vfs.img" "$SCRATCH/tampered.img"
volume_file() {
    cat > "$CONF/volumes/$1.toml" <<TOML
volume = "$1"
dev = "$SCRATCH/$1.img"

[encrypt.keyfile]
key_file = "$SCRATCH/$1.key"
$2
TOML
}

volume_file vfs ""
expect_exit 0 cvfs show vfs
expect_output "foreign LUKS"
expect_output "sector_size = 512"
if grep -q "tampered" "$SCRATCH/out"; then fail "a sound Intel header was called tampered"; fi
expect_exit 3 cvfs adopt vfs --key-file "$SCRATCH/old.pass"
expect_output "sector_size = 512"

volume_file vfs $'[luks]\nsector_size = 512'
expect_exit 0 cvfs show vfs
expect_output "foreign LUKS (cvfs adopt vfs takes it over)"
expect_exit 0 cvfs adopt vfs --key-file "$SCRATCH/old.pass"
expect_output "adopted vfs: keyslot 1"
expect_output "old keyslot 0 kept"
expect_exit 0 cvfs adopt vfs
expect_output "nothing to do"
expect_exit 0 cvfs show vfs
expect_output "ready"
cryptsetup luksDump "$SCRATCH/vfs.img" | grep -q "cvfs" || fail "no cvfs token was written"
cryptsetup open --test-passphrase --key-file "$SCRATCH/old.pass" "$SCRATCH/vfs.img" \
    || fail "the kept old keyslot does not open"
cryptsetup open --test-passphrase --key-slot 1 --key-file "$SCRATCH/vfs.key" "$SCRATCH/vfs.img" \
    || fail "the new key does not open keyslot 1"

expect_exit 4 cvfs adopt vfs --remove-old-keyslot --key-file "$SCRATCH/old.pass" < /dev/null
expect_output "--yes"
expect_exit 0 cvfs adopt vfs --remove-old-keyslot --yes --key-file "$SCRATCH/old.pass"
expect_output "removed old keyslot 0"
if cryptsetup open --test-passphrase --key-file "$SCRATCH/old.pass" "$SCRATCH/vfs.img" 2>/dev/null; then
    fail "the old passphrase still opens after --remove-old-keyslot"
fi
cryptsetup open --test-passphrase --key-file "$SCRATCH/vfs.key" "$SCRATCH/vfs.img" \
    || fail "the new key no longer opens"

# A foreign header tampered with: the data cipher set to cipher_null (checksums fixed by cryptsetup's own tools).
volume_file tampered $'[luks]\nsector_size = 512'
python3 - "$SCRATCH/tampered.img" <<'PY'
import hashlib, struct, sys
path = sys.argv[1]
with open(path, "r+b") as f:
    data = bytearray(f.read(32768 * 2))
    for off in (0, struct.unpack(">Q", data[8:16])[0]):
        hdr_size = struct.unpack(">Q", data[off + 8:off + 16])[0]
        area = data[off:off + hdr_size]
        json_part = area[4096:].split(b"\0", 1)[0]
        seg = json_part.index(b'"segments"')
        new = json_part[:seg] + json_part[seg:].replace(b'"encryption":"aes-xts-plain64"', b'"encryption":"cipher_null-ecb"', 1)
        area[4096:4096 + len(json_part)] = b"\0" * len(json_part)
        area[4096:4096 + len(new)] = new
        area[448:512] = b"\0" * 64
        area[448:448 + 32] = hashlib.sha256(bytes(area)).digest()
        data[off:off + hdr_size] = area
    f.seek(0)
    f.write(data)
PY
cryptsetup luksDump "$SCRATCH/tampered.img" | grep -q "cipher_null" || fail "the tampering did not take"
expect_exit 0 cvfs show tampered
expect_output "invalid header"
expect_output "tampered"
expect_exit 1 cvfs adopt tampered --key-file "$SCRATCH/old.pass"
expect_output "damaged or was tampered with"
if cryptsetup luksDump "$SCRATCH/tampered.img" | grep -q "cvfs"; then fail "a token was written to a tampered header"; fi
[ ! -e "$SCRATCH/tampered.key" ] || fail "a key was made for a tampered header"
