#!/bin/sh
# Nested Linux under KVM on lsemu (issue 6, manual experiment, not in CI): Debian's arm64
# qemu-system-aarch64 (package qemu-system-arm) runs inside Debian's Linux booted at EL2 on
# lsemu, with -enable-kvm -cpu host and a GICv3, and boots the same kernel with a busybox
# initramfs as its guest.
#
# Needs: root once for `dpkg --add-architecture arm64 && apt-get update` (the .debs are
# then fetched with `apt-get download` as any user), readelf, cpio, python3,
# target/release/lsemu and ~/.cache/lsemu/corpus/{Image,fsl-ls2088a-rdb.dtb,busybox}.
# Environment: SMP (lsemu cores, default 2), GUEST_SMP (default 2), OUT (work directory).
set -e
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
corpus=${LSEMU_CORPUS:-$HOME/.cache/lsemu/corpus}
out=${OUT:-${TMPDIR:-/tmp}/lsemu-kvm-nested}
lsemu="$repo/target/release/lsemu"
mkdir -p "$out/debs"
dpkg --print-foreign-architectures | grep -qx arm64 || {
    echo "run as root first: dpkg --add-architecture arm64 && apt-get update" >&2
    exit 2
}
# 1. qemu-system-arm:arm64 and its library packages (Depends only, recursively).
if [ ! -e "$out/debs/.done" ]; then
    apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances --no-pre-depends qemu-system-arm:arm64 |
        grep -v '^[ <]' | grep ':arm64$' | sort -u > "$out/pkgs.txt"
    (cd "$out/debs" && apt-get download $(cat "$out/pkgs.txt"))
    touch "$out/debs/.done"
fi
rm -rf "$out/x" "$out/root"
mkdir -p "$out/x"
for d in "$out"/debs/*.deb; do dpkg-deb -x "$d" "$out/x"; done
# 2. The root file system: busybox, qemu-system-aarch64, the dynamic loader and the
# DT_NEEDED closure of the binary (all libraries copied into /lib/aarch64-linux-gnu),
# the guest's kernel and initramfs.
python3 - "$out/x" "$out/root" <<'PY'
import os, shutil, subprocess, sys
src, dst = sys.argv[1], sys.argv[2]
dirs = ["lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu"]
def needed(p):
    out = subprocess.run(["readelf", "-d", p], capture_output=True, text=True, check=True).stdout
    return [l.split("[")[1].split("]")[0] for l in out.splitlines() if "(NEEDED)" in l]
def find(n):
    for d in dirs:
        if os.path.exists(os.path.join(src, d, n)):
            return os.path.join(src, d, n)
    sys.exit(f"library {n} not found")
libs, todo = {}, [os.path.join(src, "usr/bin/qemu-system-aarch64")]
while todo:
    for n in needed(todo.pop()):
        if n not in libs:
            libs[n] = find(n)
            todo.append(libs[n])
os.makedirs(os.path.join(dst, "lib/aarch64-linux-gnu"))
os.makedirs(os.path.join(dst, "usr/bin"))
for n, p in libs.items():
    shutil.copy(os.path.realpath(p), os.path.join(dst, "lib/aarch64-linux-gnu", n))
shutil.copy(os.path.realpath(os.path.join(src, "lib/ld-linux-aarch64.so.1")), os.path.join(dst, "lib/ld-linux-aarch64.so.1"))
shutil.copy(os.path.join(src, "usr/bin/qemu-system-aarch64"), os.path.join(dst, "usr/bin"))
print(f"qemu-system-aarch64 + {len(libs)} libraries")
PY
mkdir -p "$out/root/bin" "$out/root/dev" "$out/root/proc" "$out/root/sys" "$out/root/tmp" "$out/root/guest"
cp "$corpus/busybox" "$out/root/bin/busybox"
cp "$corpus/Image" "$out/root/guest/Image"
printf 'echo "nested-guest: hello from the L2 guest, $(grep -c ^processor /proc/cpuinfo) cpu(s)"\ncat /proc/cpuinfo | head -12\necho "nested-guest: uptime $(cut -d" " -f1 /proc/uptime)"\n' > "$out/guest-init.sh"
"$lsemu" initramfs --busybox "$corpus/busybox" --init-script "$out/guest-init.sh" -o "$out/root/guest/initrd.gz"
cat > "$out/root/init" <<SH
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
dmesg | grep -E "kvm \[|vgic"
echo "nested-host: uptime \$(cut -d' ' -f1 /proc/uptime): \$(qemu-system-aarch64 --version | head -1)"
echo "nested-host: qemu starts at uptime \$(cut -d' ' -f1 /proc/uptime)"
qemu-system-aarch64 -M virt,gic-version=3 -cpu host -enable-kvm -smp ${GUEST_SMP:-2} -m 256M \\
    -kernel /guest/Image -initrd /guest/initrd.gz -append "console=ttyAMA0 earlycon panic=-1" \\
    -display none -no-reboot -nic none -monitor none -serial stdio < /dev/null &
q=\$!
# Progress report every 10 s of (virtual) time while QEMU runs.
while kill -0 \$q 2>/dev/null; do
    sleep 10
    echo "nested-host: uptime \$(cut -d' ' -f1 /proc/uptime) qemu state \$(cut -d' ' -f3 /proc/\$q/stat 2>/dev/null) utime \$(cut -d' ' -f14 /proc/\$q/stat 2>/dev/null) stime \$(cut -d' ' -f15 /proc/\$q/stat 2>/dev/null) threads \$(ls /proc/\$q/task 2>/dev/null | wc -l)"
done
wait \$q
echo "nested-host: qemu exit \$? at uptime \$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
SH
chmod 755 "$out/root/init"
(cd "$out/root" && find . | cpio -o -H newc --quiet > "$out/host-initrd.cpio")
ls -la "$out/host-initrd.cpio"
start=$(date +%s)
"$lsemu" boot --kernel "$corpus/Image" --dtb "$corpus/fsl-ls2088a-rdb.dtb" --initrd "$out/host-initrd.cpio" \
    --smp "${SMP:-2}" --entry-el 2 --append "console=ttyS1,115200 earlycon" ${LSEMU_ARGS:-} | tee "$out/console.log"
echo "kvm-nested: lsemu wall time $(( $(date +%s) - start )) s"
grep -q "nested-guest: hello" "$out/console.log"
