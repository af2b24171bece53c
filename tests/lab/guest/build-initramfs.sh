#!/bin/sh
# Builds the lab's PV test guest in dom0: Debian's own kernel (the one dom0
# runs) plus a tiny busybox initramfs that prints LAB-GUEST markers on hvc0.
# Run by tests/lab/dom0/runner.sh; takes a second, so it is rebuilt every run
# and editing the guest needs no image rebuild.
# Usage: build-initramfs.sh OUTDIR   -> OUTDIR/kernel, OUTDIR/initramfs.gz
# OUTDIR/kernel is the ELF inside dom0's bzImage, so libxc skips unpacking
# 66 MB of xz on every create (~20 s each under TCG): the image has it
# (build-image.sh), else it is unpacked here (~25 s under TCG), else the
# bzImage itself.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-initramfs.sh OUTDIR}
elf=/var/lib/xen-lab/guest-kernel.elf
kver=$(uname -r)
bb=/bin/busybox                      # busybox-static: no libraries to copy
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/bin" "$tmp/sbin" "$tmp/usr/bin" "$tmp/usr/sbin" "$tmp/etc" \
         "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/tmp" "$tmp/modules" "$tmp/mnt"
cp "$bb" "$tmp/bin/busybox"
# Applet links made here, at build time, so the guest's init needs no
# `busybox --install` step before it can print anything.
for app in $("$bb" --list-full); do
    [ -e "$tmp/$app" ] || ln -s /bin/busybox "$tmp/$app"
done
ln -sf /bin/busybox "$tmp/init"      # kernel runs /init -> busybox init applet

# Front-end drivers are modules in Debian's kernel; copy them with their
# dependencies, in load order, uncompressed (busybox insmod can't read .xz).
: > "$tmp/modules/order"
add_mod() {
    path=$(modinfo -n "$1")
    for dep in $(modinfo -F depends "$1" | tr , ' '); do add_mod "$dep"; done
    base=$(basename "$path" | sed -e 's/\.xz$//' -e 's/\.zst$//')
    grep -qx "$base" "$tmp/modules/order" && return 0
    case "$path" in
        *.xz)  xz -dc "$path" > "$tmp/modules/$base" ;;
        *.zst) zstd -qdc "$path" > "$tmp/modules/$base" ;;
        *)     cp "$path" "$tmp/modules/$base" ;;
    esac
    echo "$base" >> "$tmp/modules/order"
}
for m in xen-blkfront xen-netfront; do add_mod "$m"; done

cp "$here/inittab" "$tmp/etc/inittab"
cp "$here/rc.lab" "$tmp/etc/rc.lab"
cp "$here/cpu-online" "$tmp/etc/cpu-online"
chmod +x "$tmp/etc/rc.lab" "$tmp/etc/cpu-online"
# The vector-register checker of the stress scenarios (lab.fpcheck= on the
# guest's command line runs it), static like busybox.
gcc -O2 -static -o "$tmp/bin/fpcheck" "$here/../tools/fpcheck.c"

mkdir -p "$out"
(cd "$tmp" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out/initramfs.gz.tmp"
mv "$out/initramfs.gz.tmp" "$out/initramfs.gz"
if [ -n "$elf" ] && [ -f "$elf" ]; then
    ln -f "$elf" "$out/kernel" 2>/dev/null || cp "$elf" "$out/kernel"
    kind="ELF from the image"
elif python3 "$here/../image/extract_vmlinux.py" "/boot/vmlinuz-$kver" "$out/kernel"; then
    kind="ELF unpacked in dom0"
else
    cp "/boot/vmlinuz-$kver" "$out/kernel"
    kind="bzImage"
fi
echo "guest: $out/kernel ($kver, $kind, $(wc -c < "$out/kernel") bytes) + $out/initramfs.gz ($(wc -c < "$out/initramfs.gz") bytes; modules: $(xargs < "$tmp/modules/order"))"
