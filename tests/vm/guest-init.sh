#!/bin/busybox sh
# shellcheck shell=dash
# The guest's /init (busybox ash, packed into the initramfs by prepare.sh).
# Loads the modules, mounts the host root (read-only 9p) with fresh kernel
# filesystems, mounts the writable share at /mnt/results inside it, runs the
# job that run.sh left on the share in a chroot, prints the exit status
# marker on the console, and powers off.
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() {
  echo "cvfs-vm-init: $*"
  echo "CVFS-VM-RESULT status=125"
  poweroff -f
}

while read -r module; do
  insmod "/lib/modules/$module" || fail "cannot load $module"
done </modules.order

mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host ||
  fail "cannot mount the host root"
mount -t proc proc /host/proc
mount -t sysfs sysfs /host/sys
mount -t devtmpfs devtmpfs /host/dev
# devtmpfs has no /dev/fd and /dev/std{in,out,err} (udev makes them on a real
# system); bash's process substitution and tools like clevis need them.
ln -s /proc/self/fd /host/dev/fd || fail "cannot make /dev/fd"
for link in stdin:0 stdout:1 stderr:2; do
  ln -s "/proc/self/fd/${link#*:}" "/host/dev/${link%:*}" || fail "cannot make /dev/${link%:*}"
done
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts devpts /host/dev/pts
mount -t tmpfs tmpfs /host/dev/shm
mkdir -p /share /hosttmp
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 share /share ||
  fail "cannot mount the results share"
# The guest gets its own /tmp; folders of the host's /tmp that the job needs
# (a build tree there) are bound back in at the same paths.
mount -o bind /host/tmp /hosttmp
mount -t tmpfs -o mode=1777 tmpfs /host/tmp
while read -r folder; do
  [ -n "$folder" ] || continue
  mkdir -p "/host/tmp/$folder"
  mount -o bind "/hosttmp/$folder" "/host/tmp/$folder" || fail "cannot bind /tmp/$folder"
done </share/.rig/host-tmp
mount -t tmpfs -o mode=0755 tmpfs /host/run
mount -t tmpfs -o mode=0755 tmpfs /host/mnt
mkdir -p /host/mnt/results
mount -o bind /share /host/mnt/results || fail "cannot bind the results share"

chroot /host /usr/bin/env -i \
  HOME=/root TERM=dumb LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  DM_DISABLE_UDEV=1 CVFS_VM_SHARE=/mnt/results \
  /bin/bash /mnt/results/.rig/guest-run.sh </dev/null
status=$?

sync
echo  # the marker starts a line even after output without a final newline
echo "CVFS-VM-RESULT status=$status"
poweroff -f
