#!/bin/sh
# The README's first command: install xend/xm, start xend (on the simulated
# hypervisor wherever there is no Xen), create the example domain and show
# it with `xm list`.  Needs root (xend's state lives in /var/lib/xend).
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "Error: run as root (sudo make run)" >&2; exit 1; }
scripts/venv.sh
for tool in xm xend check_xend; do
    ln -sf "$PWD/.venv/bin/$tool" /usr/local/sbin/$tool
done
install -d -m 755 /etc/xen
[ -e /etc/xen/xend-config.sxp ] || install -m 644 etc/xend-config.sxp /etc/xen/xend-config.sxp
[ -e /etc/xen/demo1 ] || install -m 644 etc/examples/demo1 /etc/xen/demo1
# The demo's kernel and ramdisk: the simulator, like libxl, wants them to be
# there (it does not read what is in them).
install -d -m 755 /var/lib/xen/images
for f in vmlinuz-demo initrd.img-demo; do
    [ -e /var/lib/xen/images/$f ] || echo "stand-in for a guest $f" \
        > /var/lib/xen/images/$f
done
export PATH="/usr/local/sbin:$PATH"
xend start
xm list demo1 >/dev/null 2>&1 || xm create demo1
xm list
