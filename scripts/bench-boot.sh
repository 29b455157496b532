#!/usr/bin/env bash
# Benchmark (not a test): time from start to poweroff of Debian's arm64 kernel + a busybox
# initramfs whose init powers off at once, on lsemu (LS2088A-RDB model, the kernel's RDB
# dtb) and on Debian's qemu-system-aarch64 (-M virt,gic-version=3 -cpu cortex-a72 -m 2G),
# side by side at 1 and 8 vCPUs, with the ratio. Needs the corpus (test-suites/fetch-corpus.sh)
# and qemu-system-arm.
set -euo pipefail
cd "$(dirname "$0")/.."
C=${LSEMU_CORPUS:-$HOME/.cache/lsemu/corpus}
[ -s "$C/Image" ] || test-suites/fetch-corpus.sh
cargo build --release -q
LSEMU=target/release/lsemu
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
echo 'echo lsemu-bench: userland reached' > "$W/init.sh"
$LSEMU initramfs --busybox "$C/busybox" --init-script "$W/init.sh" -o "$W/initrd.gz"
t() { local s=$(date +%s.%N); "$@" > "$W/out" 2>&1 < /dev/null || true; local e=$(date +%s.%N); grep -q "lsemu-bench: userland reached" "$W/out" || { echo "bench: run did not reach userland: $*" >&2; tail -5 "$W/out" >&2; }; awk -v a="$s" -v b="$e" 'BEGIN { printf "%.3f", b - a }'; }
for n in 1 8; do
    l=$(t $LSEMU boot --kernel "$C/Image" --dtb "$C/fsl-ls2088a-rdb.dtb" --initrd "$W/initrd.gz" --smp $n --append "console=ttyS1,115200")
    q=$(t timeout 600 qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a72 -m 2G -smp $n -kernel "$C/Image" \
        -initrd "$W/initrd.gz" -append "console=ttyAMA0" -display none -serial stdio -monitor none -no-reboot)
    printf '%d vCPU: lsemu %.2f s, qemu-system-aarch64 %.2f s, lsemu/qemu = %.2f\n' $n "$l" "$q" "$(awk -v a="$l" -v b="$q" 'BEGIN { print a / b }')"
done
