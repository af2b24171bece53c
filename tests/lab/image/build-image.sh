#!/bin/bash
# Builds the lab's dom0 image and boot files into OUTDIR (must not exist):
#   dom0.img    4 GiB sparse ext4 root filesystem (Debian bookworm dom0)
#   xen.elf     Xen hypervisor, decompressed (QEMU's multiboot -kernel wants an ELF)
#   vmlinuz     dom0 kernel      initrd.img  its initramfs
# Called by tests/lab/harness/image.py, which caches OUTDIR under the recipe hash.
# Needs root, debootstrap and e2fsprogs on the host; network to the Debian mirror
# and PyPI.  Usage: build-image.sh OUTDIR
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-image.sh OUTDIR}
mirror=${LAB_MIRROR:-http://deb.debian.org/debian}
suite=bookworm

[ "$(id -u)" = 0 ] || { echo "build-image.sh: must run as root (debootstrap, chroot)" >&2; exit 2; }
[ ! -e "$out" ] || { echo "build-image.sh: $out exists" >&2; exit 2; }

# Work next to OUTDIR (same filesystem) so the final rename is atomic and a
# half-built image is never mistaken for a cached one.
work=$(mktemp -d "${out}.work.XXXXXX")
root=$work/root
cleanup() {
    for m in dev/pts dev proc sys; do
        mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m"
    done
    rm -rf "$work"
}
trap cleanup EXIT

# The host's PIP_*/proxy variables and pip config point at files that only
# exist on the host; nothing of the host environment goes into the chroot.
in_env() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
               DEBIAN_FRONTEND=noninteractive "$@"; }
in_root() { in_env chroot "$root" "$@"; }

step() { echo "== [$(date +%T)] $*"; }

pkgs=$(sed -e 's/#.*//' "$here/packages.txt" | xargs | tr ' ' ,)
step "debootstrap $suite (minbase + $(echo "$pkgs" | tr , '\n' | wc -l) packages)"
in_env debootstrap --variant=minbase --include="$pkgs" "$suite" "$root" "$mirror"

step "configure"
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"

cat > "$root/etc/apt/sources.list" <<SRC
deb $mirror $suite main
deb $mirror $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
SRC
cp -a "$here/overlay/." "$root/"
cp /etc/resolv.conf "$root/etc/resolv.conf"   # for pip below; dhclient rewrites it at boot

# The host reaches PyPI through an intercepting HTTPS proxy; dom0 (behind
# QEMU user networking, i.e. the host's sockets) sees the same proxy.
if compgen -G "/usr/local/share/ca-certificates/*.crt" > /dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
in_root update-ca-certificates > /dev/null

# Debugging tools (gdb summarises core dumps after the suite): installed
# with apt after debootstrap, whose --include cannot order gdb's dependencies.
in_root apt-get update -q > /dev/null
in_root apt-get install -y -q --no-install-recommends $(sed -e 's/#.*//' "$here/debug-packages.txt" | xargs) > /dev/null

in_root passwd -d root > /dev/null            # debug shell on the serial console
in_root systemctl enable xen-lab.service > /dev/null 2>&1
mkdir -p "$root/var/log/xen/console" "$root/var/lib/xen-lab"
ls "$root"/boot/initrd.img-* > /dev/null 2>&1 || in_root update-initramfs -c -k all

step "python venv /opt/xend-lab/venv"
in_root python3 -m venv /opt/xend-lab/venv
cp "$here/venv-requirements.txt" "$root/tmp/venv-requirements.txt"
in_root /opt/xend-lab/venv/bin/pip install -q -r /tmp/venv-requirements.txt
rm -f "$root/tmp/venv-requirements.txt"

in_root apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
for m in dev/pts dev proc sys; do umount "$root/$m"; done

# The test guest's kernel: the ELF inside dom0's bzImage, unpacked here
# (natively, ~1 s) so libxc does not unpack 66 MB of xz on every domain
# build in dom0 (~20 s each under TCG); guest/build-initramfs.sh uses it.
kernel=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -1)
python3 "$here/extract_vmlinux.py" "$kernel" "$root/var/lib/xen-lab/guest-kernel.elf" \
    || echo "no ELF in $kernel: the guest boots from the bzImage"

step "extract boot files"
mkdir -p "$work/out"
xen_gz=$(ls "$root"/boot/xen-4.17-amd64.gz 2>/dev/null || ls "$root"/boot/xen-*.gz | head -1)
gzip -dc "$xen_gz" > "$work/out/xen.elf"
cp "$(ls "$root"/boot/vmlinuz-* | sort -V | tail -1)" "$work/out/vmlinuz"
cp "$(ls "$root"/boot/initrd.img-* | sort -V | tail -1)" "$work/out/initrd.img"

step "mkfs.ext4 -d (4 GiB sparse)"
truncate -s 4G "$work/out/dom0.img"
mkfs.ext4 -q -F -L xenlab -d "$root" "$work/out/dom0.img"
du -sh --apparent-size "$work/out/dom0.img"; du -sh "$work/out/dom0.img"

mv "$work/out" "$out"
step "image ready: $out"
