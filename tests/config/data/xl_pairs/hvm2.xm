# HVM with every common option, as an xm config
builder='hvm'; kernel='/usr/lib/xen/boot/hvmloader'; name='h2'; memory=2048; vcpus=2
disk=['phy:/dev/vg/h2,ioemu:hda,w', 'file:/srv/iso/debian.iso,hdc:cdrom,r']
vif=['mac=00:16:3e:44:55:66,bridge=xenbr0,model=e1000']
boot='dc'; vnc=1; vnclisten='0.0.0.0'; vncdisplay=3; vncunused=0; serial='pty'; on_crash='restart'
acpi=0; apic=1; pae=1; viridian=1; hpet=1; timer_mode=2; localtime=1; rtc_timeoffset=3600
usb=1; usbdevice='tablet'; soundhw='es1370'; keymap='de'; nographic=0; nomigrate=1; shadow_memory=8
videoram=16; xen_platform_pci=0; stdvga=1; nestedhvm=1; hap=0; vpt_align=0; sdl=1; opengl=0; display=':0'; xauthority='/root/.Xauthority'
on_poweroff='rename-restart'; on_reboot='destroy'; pool='p1'; cpus=['0','1-2']
