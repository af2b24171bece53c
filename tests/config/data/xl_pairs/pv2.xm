# the reference's PV sample, as an xm config
name="pv-guest"
kernel="/boot/vmlinuz-6.1.0-13-amd64"; ramdisk="/boot/initrd.img-6.1.0-13-amd64"; extra="console=hvc0"; root="/dev/xvda1 ro"
memory=1024; maxmem=2048; vcpus=2; maxvcpus=4; cpus="2-3"; cpu_weight=512; cpu_cap=50
disk=["phy:/dev/vg0/pv-guest-disk,xvda,w", "tap:qcow2:/srv/images/data.qcow2,xvdb,r"]
vif=["mac=00:16:3e:11:22:33, bridge=xenbr0, ip=192.0.2.10, rate=10Mb/s", "bridge=xenbr1, script=vif-bridge"]
on_poweroff="destroy"; on_reboot="restart"; on_crash="preserve"
