#!/bin/sh
# Nested Linux under KVM on lsemu, by hand (the CI version is
# tools/tests/kvm.rs, nested_linux_in_qemu_with_kvm): Debian's arm64 qemu-system-aarch64
# runs inside Debian's Linux booted at EL2 on lsemu, with -enable-kvm -cpu host and a
# GICv3, and boots the same kernel with a busybox initramfs as its guest. The host prints
# a progress line every 10 s of virtual time while QEMU runs.
# Needs: test-suites/kvm-nested/fetch.sh (root once, for the arm64 architecture),
# target/release/lsemu, ~/.cache/lsemu/corpus/{Image,fsl-ls2088a-rdb.dtb,busybox}.
# Environment: SMP (lsemu cores, default 2), GUEST_SMP (QEMU -smp, default 2), OUT (work
# directory), LSEMU_ARGS (more `lsemu boot` options, e.g. --stats), BUILD_ONLY=1 (only build
# $OUT/host.cpio, for scripts/bench-nested.sh).
set -e
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
corpus=${LSEMU_CORPUS:-$HOME/.cache/lsemu/corpus}
q=${LSEMU_QEMU_ARM64:-$HOME/.cache/lsemu/qemu-arm64}
out=${OUT:-${TMPDIR:-/tmp}/lsemu-kvm-nested}
lsemu="$repo/target/release/lsemu"
"$here/fetch.sh"
mkdir -p "$out"
cat > "$out/guest.sh" <<'SH'
echo "nested-guest: hello from the L2 guest, $(grep -c ^processor /proc/cpuinfo) cpu(s)"
echo "nested-guest: uptime $(cut -d' ' -f1 /proc/uptime)"
for m in virtio_mmio virtio_blk failover net_failover virtio_net; do insmod /lib/modules/$m.ko; done
echo "nested-guest: nproc $(nproc)"
i=0; while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
echo "nested-guest: disk $(tar -xOf /dev/vda lsemu/known.txt)"
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0
ping -c 2 -W 5 10.0.2.2 > /tmp/ping.txt && echo "nested-guest: ping ok: $(grep transmitted /tmp/ping.txt)"
cat /tmp/ping.txt
echo "nested-guest: uptime $(cut -d' ' -f1 /proc/uptime)"
SH
mkdir -p "$out/disk/lsemu"
printf 'lsemu-nested-disk: known.txt, a file on the virtio-blk disk\n' > "$out/disk/lsemu/known.txt"
tar -cf "$out/disk.img" --format=ustar -C "$out/disk" lsemu/known.txt
truncate -s 64K "$out/disk.img"
set --
for m in "$q"/modules/*.ko; do set -- "$@" --add-file "lib/modules/$(basename "$m")=$m"; done
"$lsemu" initramfs --busybox "$corpus/busybox" --init-script "$out/guest.sh" "$@" -o "$out/guest-initrd.gz"
cat > "$out/host.sh" <<SH
dmesg | grep -E "kvm \[|vgic"
echo "nested-host: uptime \$(cut -d' ' -f1 /proc/uptime): \$(qemu-system-aarch64 --version | head -1)"
qemu-system-aarch64 -M virt,gic-version=3 -cpu host -enable-kvm -smp ${GUEST_SMP:-2} -m 256M \\
    -kernel /guest/Image -initrd /guest/initrd.gz -append "console=ttyAMA0 panic=-1" \\
    -drive file=/guest/disk.img,if=none,format=raw,id=d0 -device virtio-blk-device,drive=d0 \\
    -netdev user,id=n0 -device virtio-net-device,netdev=n0 \\
    -display none -no-reboot -monitor none -serial stdio < /dev/null &
qpid=\$!
while kill -0 \$qpid 2>/dev/null; do
    sleep 10
    echo "nested-host: uptime \$(cut -d' ' -f1 /proc/uptime), qemu state \$(cut -d' ' -f3 /proc/\$qpid/stat 2>/dev/null)"
done
wait \$qpid
echo "nested-host: qemu exit \$? at uptime \$(cut -d' ' -f1 /proc/uptime)"
SH
set -- --add-file "usr/bin/qemu-system-aarch64=$q/usr/bin/qemu-system-aarch64" \
    --add-file "lib/ld-linux-aarch64.so.1=$q/lib/ld-linux-aarch64.so.1" \
    --add-file "guest/Image=$corpus/Image" --add-file "guest/initrd.gz=$out/guest-initrd.gz" \
    --add-file "guest/disk.img=$out/disk.img"
for l in "$q"/lib/aarch64-linux-gnu/*; do
    set -- "$@" --add-file "lib/aarch64-linux-gnu/$(basename "$l")=$l"
done
"$lsemu" initramfs --no-gzip --busybox "$corpus/busybox" --init-script "$out/host.sh" "$@" -o "$out/host.cpio"
[ -z "${BUILD_ONLY:-}" ] || exit 0
start=$(date +%s)
"$lsemu" boot --kernel "$corpus/Image" --dtb "$corpus/fsl-ls2088a-rdb.dtb" --initrd "$out/host.cpio" \
    --smp "${SMP:-2}" --entry-el 2 ${LSEMU_ARGS:-} | tee "$out/console.log"
echo "kvm-nested: lsemu wall time $(( $(date +%s) - start )) s"
grep -q "nested-guest: hello" "$out/console.log" && grep -q "nested-host: qemu exit 0" "$out/console.log"
