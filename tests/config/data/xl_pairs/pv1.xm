# xmexample1's guest, as an xm config
name="ExampleDomain"
kernel="/boot/vmlinuz"
memory=64
vif=['']
disk=['phy:hda1,hda1,w']
root="/dev/hda1 ro"
extra="4"
