# PV: pygrub, tap/nbd disks, vif options, PCI, vfbs, ioports, irqs, as an xm config
name='pv-pygrub'; bootloader='pygrub'; bootargs='--kernel=/vmlinuz --args=quiet'; memory=512
disk=['tap:aio:/srv/pv2.img,xvda,w', 'tap2:vhd:/srv/x.vhd,xvdb,w', 'nbd:10.0.0.1:2000,xvdc,r', 'phy:/dev/sdb,xvdd,w,1']
vif=['mac=00:16:3e:aa:bb:cc, bridge=xenbr0, vifname=vif-pv2, rate=1MB/s@20ms, backend=drv', 'type=netfront, script=/etc/xen/scripts/vif-route, ip=10.0.0.5']
pci=['0000:03:00.0,permissive=1', '04:00.1@5']
vfb=['vnc=1, vnclisten=127.0.0.1, vncpasswd=s3cret, keymap=fr', 'type=sdl, display=:1, xauthority=/x']
on_poweroff='preserve'; on_crash='coredump-destroy'; cpu_cap=0; tsc_mode=2; cpu_weight=128
ioports=['2f8-2ff', '3f8']; irq=[4, 7]
