# gdb script: print each emulated CPU's interrupt state from a running QEMU,
# for stalls where a CPU stops taking interrupts (docs/emulated-host.md):
#   gdb -p $(pgrep -f qemu-system-x86_64) -batch -ex "source emulator/gdb-cpustate.py"
# Needs a QEMU with debug info, e.g. build/qemu-obj/qemu-system-x86_64 (make test
# QEMU=... QEMU_ARGS="-L /usr/share/seabios -L /usr/share/qemu -L /usr/lib/ipxe/qemu").
import gdb
gdb.execute("set pagination off")
for th in gdb.selected_inferior().threads():
    th.switch()
    f = gdb.newest_frame()
    while f is not None:
        if f.name() in ("cpu_exec", "mttcg_cpu_thread_fn"):
            break
        f = f.older()
    if f is None:
        continue
    f.select()
    try:
        cpu = gdb.parse_and_eval("cpu")
        env = gdb.parse_and_eval("&((X86CPU *)cpu)->env")
        apic = gdb.parse_and_eval("(APICCommonState *)((X86CPU *)cpu)->apic_state")
        out = "LWP %d idx %d ireq %#x hflags %#x hflags2 %#x eflags %#x eip %#x avic %d int_ctl %#x cr3 %#x" % (
            th.ptid[1], int(cpu["cpu_index"]), int(cpu["interrupt_request"]), int(env["hflags"]),
            int(env["hflags2"]), int(env["eflags"]), int(env["eip"]), int(env["avic_active"]),
            int(env["int_ctl"]), int(env["cr"][3]))
        out += " | apic tpr %#x isr %s irr %s" % (int(apic["tpr"]),
            [hex(int(apic["isr"][i])) for i in range(8)], [hex(int(apic["irr"][i])) for i in range(8)])
        print(out)
    except Exception as e:
        print("LWP %d: %s" % (th.ptid[1], e))
