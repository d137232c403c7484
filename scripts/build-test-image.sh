#!/usr/bin/env bash
# Builds the tiny test guest: a small bootable qcow2 made only from Debian packages (the kernel of
# linux-image-cloud-amd64, busybox-static, syslinux), nothing downloaded from anywhere else.
#
#   scripts/build-test-image.sh [output.qcow2]      (default .cache/test-image/tiny.qcow2)
#
# The disk is a FAT "superfloppy" (no partition table) with syslinux in its boot sector, the kernel
# and a busybox initramfs; built with mtools, so no loop device or mount is needed. The guest:
#   - prints "STRATUS-TINY-GUEST hostname=<name> ready" on the serial console (ttyS0) and on the VGA
#     screen (tty0); <name> is the SMBIOS system serial the domain sets (Stratus: the VM's name);
#   - answers ACPI power-off (busybox acpid on the power button's input device);
#   - loads virtio-net and brings up its NIC (DHCP if a server answers, with its default route, else
#     link up only);
#   - serves its hostname over HTTP on port 80 (busybox httpd), and /cgi-bin/fetch?<host/path>
#     fetches that URL from inside the guest (the network tests' outbound traffic);
#   - loads virtio-blk and prints "STRATUS-TINY-GUEST disks: vda:<MiB> vdb:<MiB>" on the serial console
#     whenever its set of virtio disks changes (hot-plugged volumes show there).
# Under TCG it reaches the banner in a few seconds. Needs: apt-get (to fetch the .debs), dpkg-deb,
# cpio, gzip, mtools, dosfstools, syslinux, qemu-utils. Re-running with the same packages reuses the
# cached image.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-.cache/test-image/tiny.qcow2}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for tool in apt-get dpkg-deb cpio gzip mcopy mkfs.fat syslinux qemu-img; do
  command -v "$tool" >/dev/null 2>&1 || { echo "build-test-image: $tool is missing (apt-get install cpio mtools dosfstools syslinux qemu-utils)" >&2; exit 1; }
done

# The versioned kernel package behind the linux-image-cloud-amd64 metapackage.
kpkg="$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
[ -n "$kpkg" ] || { echo "build-test-image: cannot resolve linux-image-cloud-amd64 (apt-get update?)" >&2; exit 1; }
stamp="$kpkg $(apt-cache policy busybox-static | awk '/Candidate/ {print $2}') v7"
if [ -f "$out" ] && [ -f "$out.stamp" ] && [ "$(cat "$out.stamp")" = "$stamp" ]; then
  echo "build-test-image: $out is up to date ($stamp)"
  exit 0
fi

echo "build-test-image: fetching $kpkg and busybox-static"
( cd "$work" && chmod 777 . && apt-get download -qq "$kpkg" busybox-static )
dpkg-deb -x "$work"/linux-image-*.deb "$work/kernel"
dpkg-deb -x "$work"/busybox-static_*.deb "$work/busybox"
kver="${kpkg#linux-image-}"
mods="$work/kernel/lib/modules/$kver/kernel"

# --- initramfs -------------------------------------------------------------------------------
root="$work/root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,modules,etc/acpi/PWRF,usr/share/udhcpc}
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
for m in virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net virtio_blk evdev button; do
  f="$(find "$mods" -name "$m.ko" | head -n 1)"
  [ -n "$f" ] || { echo "build-test-image: module $m not found in $kpkg" >&2; exit 1; }
  cp "$f" "$root/modules/"
done
printf '%s\n' virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net virtio_blk evdev button > "$root/modules/order"

cat > "$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# Modules in dependency order; a second pass catches any that waited for another.
for pass in 1 2; do
  for m in $(cat /modules/order); do grep -q "^$m " /proc/modules || insmod "/modules/$m.ko" 2>/dev/null; done
done
name="$(cat /sys/class/dmi/id/product_serial 2>/dev/null | tr -cd 'A-Za-z0-9.-')"
[ -n "$name" ] || name=tiny
hostname "$name"
# ACPI power button -> clean power-off.
echo 'poweroff -f' > /etc/acpi/PWRF/00000080
chmod +x /etc/acpi/PWRF/00000080
acpid -c /etc/acpi -l /dev/null
# NIC: link up, then DHCP in the background (a network without a DHCP server is fine).
for i in /sys/class/net/*; do
  n="${i##*/}"; [ "$n" = lo ] && continue
  ip link set "$n" up
  cat > /usr/share/udhcpc/default.script <<'S'
#!/bin/sh
if [ "$1" = bound ]; then
  ip addr add "$ip/${mask:-24}" dev "$interface" && echo "STRATUS-TINY-GUEST $interface $ip" > /dev/ttyS0
  for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
fi
exit 0
S
  chmod +x /usr/share/udhcpc/default.script
  udhcpc -q -n -t 10 -i "$n" -s /usr/share/udhcpc/default.script >/dev/null 2>&1 &
done
ip link set lo up
# A web server on port 80 (the network tests): / answers the hostname; /cgi-bin/fetch?<host[:port]/path>
# makes the guest itself fetch that URL and answers what it got (outbound traffic, e.g. through NAT).
mkdir -p /www/cgi-bin
echo "$name" > /www/index.html
printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\ntimeout 5 wget -q -O - "http://$QUERY_STRING" 2>&1\n' > /www/cgi-bin/fetch
chmod +x /www/cgi-bin/fetch
httpd -p 80 -h /www
nics="$(ls /sys/class/net | tr '\n' ' ')"
banner="STRATUS-TINY-GUEST hostname=$name ready (nics: $nics)"
echo "$banner" > /dev/ttyS0
echo "$banner" > /dev/tty0
# Virtio disks (vda is the boot disk), reported on the serial console whenever the set changes, so
# a hot-plugged or unplugged volume shows: "STRATUS-TINY-GUEST disks: vda:19MiB vdb:1024MiB".
( last=""; while true; do
    d=""; for b in /sys/block/vd*; do [ -e "$b/size" ] && d="$d ${b##*/}:$(( $(cat "$b/size") / 2048 ))MiB"; done
    [ "$d" != "$last" ] && echo "STRATUS-TINY-GUEST disks:$d" > /dev/ttyS0; last="$d"; sleep 1
  done ) &
# A heartbeat on the serial console, and a shell on it for debugging.
while true; do sleep 30; echo "STRATUS-TINY-GUEST $name up $(cut -d' ' -f1 /proc/uptime)s" > /dev/ttyS0; done &
# A shell on the VGA console too, so what is typed in the browser console shows on the screen.
setsid sh -c 'exec sh -i </dev/tty1 >/dev/tty1 2>&1' &
exec setsid cttyhack sh -c 'exec sh </dev/ttyS0 >/dev/ttyS0 2>&1'
EOF
chmod +x "$root/init"
( cd "$root" && find . | cpio -o -H newc --quiet | gzip -9 ) > "$work/initrd.gz"

# --- disk: FAT superfloppy with syslinux ------------------------------------------------------
cat > "$work/syslinux.cfg" <<'EOF'
DEFAULT tiny
TIMEOUT 0
PROMPT 0
LABEL tiny
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND console=tty0 console=ttyS0,115200 quiet loglevel=3 panic=5
EOF
raw="$work/disk.raw"
kb=$(( ( $(stat -c %s "$work/kernel/boot/vmlinuz-$kver") + $(stat -c %s "$work/initrd.gz") ) / 1024 + 4096 ))
mkfs.fat -C -n STRATUS "$raw" "$kb" >/dev/null
syslinux --install "$raw"
mcopy -i "$raw" "$work/kernel/boot/vmlinuz-$kver" ::vmlinuz
mcopy -i "$raw" "$work/initrd.gz" ::initrd.gz
mcopy -i "$raw" "$work/syslinux.cfg" ::syslinux.cfg

mkdir -p "$(dirname "$out")"
qemu-img convert -q -f raw -O qcow2 "$raw" "$out.tmp"
mv "$out.tmp" "$out"
echo "$stamp" > "$out.stamp"
echo "build-test-image: wrote $out ($(du -h "$out" | cut -f1), kernel $kver)"
