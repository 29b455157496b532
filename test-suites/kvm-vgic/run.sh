#!/bin/sh
# KVM smoke test of the GIC virtualization (devices/src/gic/vcpuif.rs): boots Debian's
# Linux at EL2 on lsemu (1 core), then a tiny static VMM (vmm.c) runs a guest (guest.S)
# with a GICv3 vGIC: an SPI injected by KVM_IRQ_LINE and the guest's virtual timer
# (HW-mapped by KVM) are taken and completed through ICV_IAR1/ICV_EOIR1.
# Needs: aarch64-linux-gnu-gcc, python3, target/release/lsemu, ~/.cache/lsemu/corpus/
# {Image,fsl-ls2088a-rdb.dtb,busybox}. Prints "kvm-test: PASS" on success (exit 0).
set -e
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
corpus=${LSEMU_CORPUS:-$HOME/.cache/lsemu/corpus}
out=${TMPDIR:-/tmp}/lsemu-kvm-vgic.$$
mkdir -p "$out"
aarch64-linux-gnu-as -o "$out/guest.o" "$here/guest.S"
aarch64-linux-gnu-ld -Ttext=0x40000000 -o "$out/guest.elf" "$out/guest.o"
aarch64-linux-gnu-objcopy -O binary "$out/guest.elf" "$out/guest.bin"
(cd "$out" && xxd -i guest.bin > guest_bin.h)
aarch64-linux-gnu-gcc -O2 -static -I"$out" -o "$out/vmm" "$here/vmm.c"
python3 - "$out" "$corpus/busybox" <<'PY'
import gzip, stat, sys
out, busybox = sys.argv[1], sys.argv[2]
init = b"""#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
dmesg | grep -iE "kvm|vgic"
/bin/vmm
echo "lsemu-init: vmm exit $?"
poweroff -f
"""
ents = [("bin", stat.S_IFDIR | 0o755, b""), ("dev", stat.S_IFDIR | 0o755, b""),
        ("proc", stat.S_IFDIR | 0o755, b""), ("sys", stat.S_IFDIR | 0o755, b""),
        ("bin/busybox", stat.S_IFREG | 0o755, open(busybox, "rb").read()),
        ("bin/sh", stat.S_IFLNK | 0o777, b"busybox"),
        ("bin/vmm", stat.S_IFREG | 0o755, open(out + "/vmm", "rb").read()),
        ("init", stat.S_IFREG | 0o755, init)]
b = bytearray()
def pad():
    while len(b) % 4: b.append(0)
for i, (name, mode, data) in enumerate(ents + [("TRAILER!!!", 0, b"")]):
    n = name.encode() + b"\0"
    ino = 0 if name == "TRAILER!!!" else i + 1
    b += b"070701" + b"".join(b"%08X" % v for v in [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(n), 0]) + n
    pad(); b += data; pad()
open(out + "/initrd.cpio.gz", "wb").write(gzip.compress(bytes(b)))
PY
"$repo/target/release/lsemu" boot --kernel "$corpus/Image" --dtb "$corpus/fsl-ls2088a-rdb.dtb" \
    --initrd "$out/initrd.cpio.gz" --smp 1 --entry-el 2 | tee "$out/console.log"
grep -q "kvm-test: PASS" "$out/console.log"
