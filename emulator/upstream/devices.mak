# The devices of emulator/devices.mak, and CXL with what it depends on:
# QEMU 10.2's ACPI_X86 selects ACPI_CXL, whose hw/acpi/cxl.c calls
# cxl_fmws_get_all_sorted(), which only CONFIG_CXL builds (the stubs of
# hw/cxl/cxl-host-stubs.c lack it), so a pc machine without CXL does not
# link; and hw/cxl needs CXL_MEM_DEVICE to link and PCIE_PORT to start
# (its cxl-rp type). The machine that harness/boot.sh starts gets no CXL
# device.
CONFIG_I440FX=y
CONFIG_HPET=y
CONFIG_PCI_EXPRESS=y
CONFIG_PXB=y
CONFIG_CXL=y
CONFIG_CXL_MEM_DEVICE=y
CONFIG_PCIE_PORT=y
