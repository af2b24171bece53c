# xmexample.hvm's guest, as an xm config
kernel = "hvmloader"
builder='hvm'
memory = 128
name = "ExampleHVMDomain"
vif = [ 'type=ioemu, bridge=xenbr0' ]
disk = [ 'file:/var/images/min-el3-i386.img,hda,w', ',hdc:cdrom,r' ]
device_model = 'qemu-dm'
sdl=0
opengl=1
vnc=1
vncpasswd=''
stdvga=0
serial='pty'
tsc_mode=0
