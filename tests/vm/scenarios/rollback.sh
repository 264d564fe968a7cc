#!/usr/bin/env bash
# Rollback detection with the TPM counter (docs/rollback.md), on a real kernel
# with /dev/tpmrm0 (swtpm behind the guest's TPM): a keyfile volume with
# [rollback] counter = "tpm" is snapshotted (its block file copied), opened
# and written twice, and restored from the snapshot: open refuses it (exit
# code 7) and --accept-rollback opens it; a generation raised by hand in the
# header (cryptsetup token export/import) is refused by its HMAC; cvfs killed
# at each step of an open that touches the counter is followed by an open
# that succeeds; the NV index undefined (tpm2_nvundefine) is a clear error
# naming the volume and the index. A counter on a temporary volume is a
# configuration error. Needs root, device-mapper, gdb and a TPM (run.sh --tpm).
#
# Usage: scenarios/rollback.sh BUILD_DIR
set -Eeuo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build_dir=$(realpath "$1")
readonly scenario=rollback root=/tmp/cvfs-rollback
source "$(dirname "$0")/lib.sh"
step() { printf '== %s (%d s)\n' "$*" "$SECONDS"; }

readonly vol=rb img=$root/rb.img point=$root/mnt/rb

write_volume() {
  printf 'volume = "%s"\ndev = "%s"\nmakefs = "ext4"\n\n[encrypt.keyfile]\nkey_file = "%s/keys/%s.key"\n' \
    "$vol" "$img" "$root" "$vol" >"$confdir/volumes/$vol.toml"
  printf '\n[device]\nsize = "48M"\n\n[mount]\npoint = "%s"\n\n[rollback]\ncounter = "tpm"\n' "$point" \
    >>"$confdir/volumes/$vol.toml"
}

# The cvfs token of the block file, as cryptsetup exports it (its id in $token_id).
export_token() {
  local id
  for id in 0 1 2 3 4 5 6 7; do
    if cryptsetup token export --token-id "$id" "$img" 2>/dev/null | grep -qE '"type": ?"cvfs"'; then
      token_id=$id
      cryptsetup token export --token-id "$id" "$img"
      return
    fi
  done
  fail "no cvfs token in $img"
}

token_field() { export_token | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
generation() { "$cvfs_bin" -c "$confdir" status --json "$vol" | python3 -c "import json,sys; print(json.load(sys.stdin)['generation'])"; }
session() {  # session TEXT: open, write TEXT, close
  cvfs open "$vol"
  echo "$1" >"$point/file.txt"
  sync
  cvfs close "$vol"
}
open_and_check() {  # open_and_check TEXT: open, the file says TEXT, close
  cvfs open "$vol"
  [[ $(cat "$point/file.txt") == "$1" ]] || fail "the file says '$(cat "$point/file.txt")', not '$1'"
  cvfs close "$vol"
}

setup
[[ -c /dev/tpmrm0 ]] || fail "no /dev/tpmrm0: run with run.sh --tpm"
write_volume

step "init makes the counter and records its value"
cvfs init --yes "$vol"
index=$(token_field counter_index)
[[ $(token_field counter) == tpm && $index == 0x0130* ]] || fail "the token names counter $(token_field counter) $index"
tpm2_nvreadpublic -T device:/dev/tpmrm0 "$index" >/dev/null || fail "$index is not defined in the TPM"
first=$(generation)
cvfs status "$vol" | grep -q "counter tpm, generation $first"
cvfs show "$vol" | grep -qE "tpm $first"

step "each open advances the generation; snapshot, two sessions, restore"
session one
[[ $(generation) == $((first + 1)) ]] || fail "the generation is $(generation) after one open"
cp --sparse=always "$img" "$root/snapshot.img"
session two
session three
[[ $(generation) == $((first + 3)) ]]
cp --sparse=always "$root/snapshot.img" "$img"

step "the restored copy is refused, exit code 7, nothing mapped"
expect_failure "this volume is older than its last use (generation $((first + 1)), last seen $((first + 3)))" open "$vol"
status=0; "$cvfs_bin" -c "$confdir" open "$vol" >/dev/null 2>&1 || status=$?
((status == 7)) || fail "open of a rolled-back volume exited $status, not 7"
[[ ! -e /dev/mapper/$vol ]] || fail "the rolled-back volume was mapped"
expect_failure "no terminal to ask" open --accept-rollback "$vol" </dev/null

step "--accept-rollback opens the old copy and resynchronises"
cvfs open --accept-rollback --yes "$vol" 2>&1 | tee "$root/accept.log"
grep -q "accept-rollback" "$root/accept.log" || fail "the accepted rollback was not logged"
[[ $(cat "$point/file.txt") == one ]]
cvfs close "$vol"
open_and_check one

step "a generation raised by hand is refused by the HMAC"
export_token >"$root/token.json"
python3 - "$root/token.json" "$root/forged.json" <<'PY'
import json, sys
token = json.load(open(sys.argv[1]))
token["generation"] = type(token["generation"])(int(token["generation"]) + 5)
json.dump(token, open(sys.argv[2], "w"))
PY
cryptsetup token import --token-id "$token_id" --token-replace --json-file "$root/forged.json" "$img"
expect_failure "does not match its HMAC" open "$vol"
[[ ! -e /dev/mapper/$vol ]] || fail "the forged volume was mapped"
cryptsetup token import --token-id "$token_id" --token-replace --json-file "$root/token.json" "$img"
open_and_check one

step "killed at each step of an open that touches the counter: the next opens succeed"
for point_spec in Esys_NV_Read:0 cvfs::write_token:0 Esys_NV_Increment:0; do
  symbol=${point_spec%:*} skip=${point_spec##*:}
  echo "-- open killed at $symbol"
  before=$(generation)
  kill_at "$symbol" "$skip" open "$vol"
  cvfs open "$vol"   # a mapping the killed open left is taken over as it is
  cvfs close "$vol"
  open_and_check one  # an interrupted advance (header one ahead) is repaired here
  after=$(generation)
  ((after > before)) || fail "the generation did not advance after the kill at $symbol ($before -> $after)"
  check_nothing_left "$vol"
done

step "the NV index undefined: a clear error naming the volume and the index"
tpm2_nvundefine -T device:/dev/tpmrm0 -C o "$index"
expect_failure "volume '$vol': rollback counter 'tpm'" open "$vol"
expect_failure "its counter $index is gone" open "$vol"
[[ ! -e /dev/mapper/$vol ]]
cvfs open --accept-rollback --yes "$vol"
[[ $(cat "$point/file.txt") == one ]]
cvfs close "$vol"
[[ $(token_field counter_index) == 0x0130* ]]
open_and_check one

step "a counter on a temporary volume is a configuration error"
printf 'volume = "tmp1"\ndev = "%s/tmp1.img"\n\n[encrypt.otp]\n\n[device]\nsize = "16M"\n\n[rollback]\ncounter = "tpm"\n' \
  "$root" >"$confdir/volumes/tmp1.toml"
expect_failure "on the temporary volume 'tmp1'" config check tmp1
rm "$confdir/volumes/tmp1.toml"

rm -rf "$root"
echo "rollback: all passed in $SECONDS s"
