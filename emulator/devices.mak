# The devices of the emulated AMD host, for configure
# --without-default-devices: the pc machine (i440fx) and its HPET. No NIC,
# display, parallel port, USB or storage: harness/boot.sh boots with
# -vga none -nic none -parallel none.
CONFIG_I440FX=y
CONFIG_HPET=y
