#!/usr/bin/env bash
# The boot sequence on a real kernel, for several volumes at once. The guest
# runs the rig's own init, not systemd, so this plays systemd's part:
#   1. `cvfs generate-units` (the generator) makes one unit per auto_open
#      volume, none for the others; the network-bound provider's unit comes
#      after network-online.target;
#   2. the units' ExecStart commands run side by side, as systemd starts
#      independent units: four volumes open, the one whose provider now gives
#      a wrong key fails and says why, without holding up the others;
#   3. the units' ExecStop commands close every volume (shutdown);
#   4. `cvfs open` of the persistent volumes at once (its own parallel open):
#      three open, the failure is reported with a summary and exit status 1;
#      `cvfs close --all` closes them, nothing stays mapped or attached.
# Volumes: otp+ext4 (temporary), passphrase+ext4 (persistent, argon2id), two
# of the frozen-ABI fixture provider (persistent, machine key, needs the
# network; ext4 and vfat), and a fixture volume whose key changed after init.
#
# Usage: scenarios/boot_parallel_open.sh BUILD_DIR FIXTURE_PLUGINDIR
set -Eeuo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 BUILD_DIR FIXTURE_PLUGINDIR" >&2; exit 2; }
build_dir=$(realpath "$1") fixtures=$(realpath "$2")
readonly root=/tmp/cvfs-boot
readonly conf=$root/conf units=$root/units
cvfs_bin=$build_dir/bin/cvfs
trap 'echo "boot: FAILED: line $LINENO: $BASH_COMMAND" >&2' ERR
cvfs() { printf '$ cvfs %s\n' "$*"; "$cvfs_bin" -c "$conf" "$@"; }
fail() { echo "boot: FAILED: $*" >&2; exit 1; }

rm -rf "$root"
mkdir -p "$conf/volumes" "$root/run" "$units"
printf '[plugins]\ndirs = ["%s/plugins.out", "%s"]\n[paths]\nrun_dir = "%s/run"\n' \
  "$build_dir" "$fixtures" "$root" >"$conf/cvfs.toml"

# volume NAME PROVIDER FS [AUTO_OPEN]
volume() {
  local name=$1 provider=$2 fs=$3 auto=${4:-true} size=96M
  {
    printf 'volume = "%s"\ndev = "%s/%s.img"\nauto_open = %s\nmakefs = "%s"\ntimeout = "2m"\n' \
      "$name" "$root" "$name" "$auto" "$fs"
    case $provider in
      otp) printf '\n[encrypt.otp]\n' ;;
      passphrase)
        (umask 077 && head -c 32 /dev/urandom | base64 >"$root/$name.key")
        printf '\n[encrypt.passphrase]\nkey_file = "%s/%s.key"\n' "$root" "$name" ;;
      fixture) printf '\n[encrypt.abi-v1-0]\nkey = "fixture key of %s"\n' "$name" ;;
    esac
    printf '\n[device]\nsize = "%s"\n\n[mount]\npoint = "%s/mnt/%s"\n' "$size" "$root" "$name"
  } >"$conf/volumes/$name.toml"
}
volume scratch otp ext4
volume home passphrase ext4
volume remote fixture ext4
volume archive fixture vfat
volume broken fixture ext4
volume manual otp ext4 false
good=(archive home remote scratch)
start=$SECONDS
cvfs init --yes home remote archive broken
echo "init of 4 volumes: $((SECONDS - start)) s"
sed -i 's/^key = .*/key = "not the enrolled key"/' "$conf/volumes/broken.toml"

echo "== 1. generator"
cvfs generate-units "$units"
made=()
for unit in "$units"/cvfs-open@*.service; do made+=("${unit##*/}"); done
echo "units: ${made[*]}"
[[ ${#made[@]} -eq 5 ]] || fail "expected 5 units (every auto_open volume), got ${#made[@]}"
[[ ! -e $units/cvfs-open@manual.service ]] || fail "a unit for a volume without auto_open"
grep -qx "After=network-online.target" "$units/cvfs-open@remote.service" || fail "remote not after the network"
! grep -q "network-online" "$units/cvfs-open@home.service" || fail "home waits for the network"

# The command of KEY (ExecStart/ExecStop) in a unit.
command_of() { sed -n "s/^$2=//p" "$units/$1"; }

echo "== 2. ExecStart of every unit, side by side"
declare -A pid status
start=$SECONDS
for unit in "${made[@]}"; do
  cmd=$(command_of "$unit" ExecStart)
  [[ $cmd == "$cvfs_bin -c $conf open "* ]] || fail "unexpected ExecStart in $unit: $cmd"
  $cmd >"$root/$unit.log" 2>&1 &
  pid[$unit]=$!
done
for unit in "${made[@]}"; do
  status[$unit]=0
  wait "${pid[$unit]}" || status[$unit]=$?
  echo "$unit: exit ${status[$unit]}"; sed 's/^/    /' "$root/$unit.log"
done
echo "parallel start of ${#made[@]} units: $((SECONDS - start)) s"
for name in "${good[@]}"; do
  [[ ${status[cvfs-open@$name.service]} -eq 0 ]] || fail "$name did not open"
  findmnt -n "$root/mnt/$name" >/dev/null || fail "$name is not mounted"
done
[[ ${status[cvfs-open@broken.service]} -ne 0 ]] || fail "broken opened with a wrong key"
grep -q "volume 'broken'" "$root/cvfs-open@broken.service.log" || fail "the failure does not name its volume"
grep -qi "key" "$root/cvfs-open@broken.service.log" || fail "the failure does not say why"
[[ ! -e /dev/mapper/broken ]] || fail "the failed volume left a mapping"
echo "data of home" >"$root/mnt/home/file.txt"

echo "== 3. ExecStop of every unit (shutdown)"
for unit in "${made[@]}"; do $(command_of "$unit" ExecStop); done
for name in "${good[@]}" broken; do
  [[ ! -e /dev/mapper/$name ]] || fail "$name still mapped after stop"
  [[ -z $(losetup -j "$root/$name.img" -n) ]] || fail "$name still attached after stop"
done

echo "== 4. cvfs open of four volumes at once, one failing"
start=$SECONDS
status=0
"$cvfs_bin" -c "$conf" open archive broken home remote >"$root/open.out" 2>"$root/open.err" || status=$?
echo "parallel open: exit $status in $((SECONDS - start)) s"
cat "$root/open.out" "$root/open.err"
[[ $status -eq 1 ]] || fail "a failed volume must make cvfs open exit 1, got $status"
for name in archive home remote; do
  grep -q "^opened $name at /dev/mapper/$name, mounted on $root/mnt/$name$" "$root/open.out" || fail "$name not reported opened"
done
grep -q "cvfs: 1 of 4 volumes failed to open: broken" "$root/open.err" || fail "no summary of the failure"
[[ $(cat "$root/mnt/home/file.txt") == "data of home" ]] || fail "home lost its data"
cvfs close --all
for name in "${good[@]}" broken manual; do
  [[ ! -e /dev/mapper/$name ]] || fail "$name still mapped after close --all"
  [[ -z $(losetup -j "$root/$name.img" -n) ]] || fail "$name still attached after close --all"
done
rm -rf "$root"
echo "boot: passed"
