#!/bin/sh
# Manual run of the KVM test (the CI version is tools/tests/kvm.rs, which checks every
# exit): boots Debian's Linux at EL2 on lsemu (1 core), then the tiny static VMM (vmm.c)
# runs the guest (guest.S) through /dev/kvm with a GICv3 vGIC; the VMM logs each KVM_RUN
# exit and prints "kvm-test: done" after the guest's PSCI SYSTEM_OFF.
# Needs: aarch64-linux-gnu-gcc (+ libc6-dev-arm64-cross), xxd, target/release/lsemu,
# ~/.cache/lsemu/corpus/{Image,fsl-ls2088a-rdb.dtb,busybox}.
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
aarch64-linux-gnu-gcc -O2 -static -Wall -I"$out" -o "$out/vmm" "$here/vmm.c"
cat > "$out/init.sh" <<'SH'
dmesg | grep -E "kvm \[|vgic"
/bin/vmm
echo "lsemu-test: vmm exit $?"
SH
"$repo/target/release/lsemu" boot --kernel "$corpus/Image" --dtb "$corpus/fsl-ls2088a-rdb.dtb" \
    --busybox "$corpus/busybox" --init-script "$out/init.sh" --add-file "bin/vmm=$out/vmm" \
    --smp "${SMP:-1}" --entry-el 2 | tee "$out/console.log"
grep -q "kvm-test: done" "$out/console.log" && grep -q "lsemu-test: vmm exit 0" "$out/console.log"
