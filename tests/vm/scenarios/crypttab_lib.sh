# Helpers shared by the crypttab scenarios (crypttab.sh, crypttab_remote.sh):
# volumes made by cvfs, then mapped by libcryptsetup's own tools through the
# cvfs token plugin. Sourced after lib.sh, with scenario, root, build_dir and
# confdir set. Defines tamper_bin, attach (systemd-cryptsetup) and the
# functions below; exports CVFS_TOKEN_CONFDIR so the token plugin reads the
# scenario's configuration.

tamper_bin=$build_dir/tests/vm/luks-tamper
attach=/lib/systemd/systemd-cryptsetup
export CVFS_TOKEN_CONFDIR=$confdir

# made NAME: init the volume, put a file on it with cvfs, close it; prints its loop device.
made() {
  local name=$1
  cvfs init --yes "$name" >&2
  cvfs open "$name" >&2
  mkdir -p "$root/mnt/$name"
  mount "/dev/mapper/$name" "$root/mnt/$name"
  echo "data of $name" >"$root/mnt/$name/file"
  umount "$root/mnt/$name"
  cvfs close "$name" >&2
  losetup -f --show "$root/$name.img"
}

# intact NAME: the mapping libcryptsetup made holds the file cvfs wrote, and
# every line written through an earlier libcryptsetup mapping (file.more).
intact() {
  local name=$1
  mount -o ro "/dev/mapper/$name" "$root/mnt/$name"
  grep -qx "data of $name" "$root/mnt/$name/file" || fail "$name: the data is not there"
  if [[ -s $root/$name.more ]]; then
    cmp -s "$root/$name.more" "$root/mnt/$name/file.more" ||
      fail "$name: what was written through the last mapping did not survive close and reopen"
  fi
  umount "$root/mnt/$name"
}

# write_more NAME TEXT: appends TEXT through the open mapping (and to the
# scenario's own record, which intact compares after the next open).
write_more() {
  local name=$1 text=$2
  mount "/dev/mapper/$name" "$root/mnt/$name"
  echo "$text" >>"$root/mnt/$name/file.more"
  umount "$root/mnt/$name"
  echo "$text" >>"$root/$name.more"
}

check_no_mapping() { [[ ! -e /dev/mapper/$1 ]] || fail "$1 is still mapped"; }

# Mounts a scratch folder over libcryptsetup's token plugin folder, holding
# the distribution's plugins and the built cvfs one.
case_install_plugin() {
  local dir
  dir=$(cryptsetup --help | sed -n 's/^LUKS2 external token plugin path: \(.*\)\.$/\1/p')
  [[ -d $dir ]] || fail "libcryptsetup names no token plugin folder"
  mkdir -p "$root/tokens"
  cp -a "$dir"/. "$root/tokens/"
  cp "$build_dir/lib/libcryptsetup-token-cvfs.so" "$root/tokens/"
  mount --bind "$root/tokens" "$dir"
  echo "token plugins in $dir: $(ls "$dir" | tr '\n' ' ')"
}

# open_three_ways NAME LOOP: cryptsetup with the token alone, then
# systemd-cryptsetup attach as a crypttab line "NAME LOOP none" runs it, each
# writing a line that the next open must find; nothing is left mapped.
open_three_ways() {
  local name=$1 loop=$2
  # cryptsetup, the token alone (no passphrase prompt to fall back to).
  cryptsetup open --token-only --token-type cvfs "$loop" "$name" </dev/null
  intact "$name"
  write_more "$name" "written through cryptsetup's mapping"
  cryptsetup close "$name"
  "$attach" attach "$name" "$loop" none "" </dev/null
  intact "$name"
  write_more "$name" "written through systemd-cryptsetup's mapping"
  "$attach" detach "$name"
  check_no_mapping "$name"
  "$attach" attach "$name" "$loop" none "" </dev/null
  intact "$name"
  "$attach" detach "$name"
  check_no_mapping "$name"
}

# crypttab_units NAME=LOOP[:OPTIONS]...: writes a crypttab file of these lines,
# runs systemd-cryptsetup-generator on it, and runs each unit's ExecStart the
# way systemd would; each volume must then hold its data, and detach.
crypttab_units() {
  local out=$root/units unit exec entry name loop options
  rm -rf "$out"; mkdir -p "$out"
  : >"$root/crypttab"
  for entry in "$@"; do
    name=${entry%%=*} loop=${entry#*=} options=none
    [[ $loop == *:* ]] && options="none ${loop#*:}" && loop=${loop%%:*}
    printf '%s %s %s\n' "$name" "$loop" "$options" >>"$root/crypttab"
  done
  cat "$root/crypttab"
  SYSTEMD_CRYPTTAB=$root/crypttab /lib/systemd/system-generators/systemd-cryptsetup-generator "$out" "$out" "$out"
  for entry in "$@"; do
    name=${entry%%=*}
    unit=$out/systemd-cryptsetup@$name.service
    [[ -f $unit ]] || fail "the generator made no unit for $name"
    exec=$(sed -n 's/^ExecStart=//p' "$unit")
    echo "$name: $exec"
    eval "$exec" </dev/null
    intact "$name"
    "$attach" detach "$name"
    check_no_mapping "$name"
  done
}

# tamper NAME: writes cipher_null into both header copies of root/NAME.img
# (with valid checksums) while no loop device holds it; prints a fresh loop device.
tamper() {
  local name=$1 loop
  for loop in $(losetup -j "$root/$name.img" -nO NAME); do losetup -d "$loop"; done
  "$tamper_bin" "$root/$name.img" '"encryption":"aes-xts-plain64"' '"encryption":"cipher_null-ecb"' >&2
  losetup -f --show "$root/$name.img"
}

# refused_attach NAME LOOP: systemd-cryptsetup (headless) and cryptsetup
# --token-only must both refuse the tampered header, saying why, and map nothing.
refused_attach() {
  local name=$1 loop=$2 status=0 output
  output=$(timeout 120 "$attach" attach "$name" "$loop" none headless=true </dev/null 2>&1) || status=$?
  echo "$output"
  ((status != 0)) || fail "systemd-cryptsetup opened a tampered header"
  grep -qF "cipher_null" <<<"$output" || fail "the refusal does not say what is wrong"
  output=$(cryptsetup open --token-only --token-type cvfs "$loop" "$name" </dev/null 2>&1) && fail "cryptsetup opened it"
  echo "$output"
  grep -qF "cipher_null" <<<"$output" || fail "cryptsetup's refusal does not say what is wrong"
  check_no_mapping "$name"
}

# Removes the loop devices of the scenario's images.
detach_loops() {
  local image loop
  for image in "$root"/*.img; do
    [[ -e $image ]] || continue
    for loop in $(losetup -j "$image" -nO NAME 2>/dev/null); do losetup -d "$loop" || true; done
  done
  return 0
}
