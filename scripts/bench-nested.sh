#!/usr/bin/env bash
# Nested-KVM boot benchmark (issue 6): the time-to-shell of the nested (L2) guest of
# test-suites/kvm-nested/run.sh -- the same Debian kernel + host initramfs, in which Debian's
# arm64 qemu-system-aarch64 runs `-M virt,gic-version=3 -cpu host -enable-kvm -smp 2` with a
# virtio-blk disk and a user-net virtio-net NIC -- on lsemu (interpreter and JIT, --smp 2,
# entered at EL2) beside the same L1 under this machine's qemu-system-aarch64 (TCG,
# `-M virt,virtualization=on,gic-version=3 -cpu cortex-a72 -smp 2`, so L1 runs at EL2 and
# its KVM is nested on TCG).
# Prints, per run, host wall seconds from launch to: the L1 host's first shell line
# ("nested-host:"), the L2 guest's first shell line ("nested-guest: hello", its time-to-shell)
# and the end of the run (L1 powered off), and whether the L2 guest's checks passed.
# Needs what run.sh needs, plus qemu-system-aarch64 on the host (Debian qemu-system-arm).
# Environment: OUT (work directory), ENGINES (default "interp jit"), QEMU=0 (skip the QEMU
# run), TIMEOUT (seconds per run, default 1200).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
corpus=${LSEMU_CORPUS:-$HOME/.cache/lsemu/corpus}
out=${OUT:-${TMPDIR:-/tmp}/lsemu-bench-nested}
lsemu="$repo/target/release/lsemu"
limit=${TIMEOUT:-1200}
[ -x "$lsemu" ] || { echo "bench-nested: build first: cargo build --release -p lsemu" >&2; exit 1; }
BUILD_ONLY=1 OUT="$out" "$repo/test-suites/kvm-nested/run.sh" >/dev/null

# run LABEL CMD...: runs CMD, logging to $out/LABEL.log, and prints the times.
run() {
    local label=$1 t0 host="" shell="" end line
    shift
    : > "$out/$label.log"
    t0=$EPOCHREALTIME
    while IFS= read -r line; do
        printf '%s\n' "$line" >> "$out/$label.log"
        [[ -z $host && $line == *"nested-host:"* ]] && host=$EPOCHREALTIME
        [[ -z $shell && $line == *"nested-guest: hello"* ]] && shell=$EPOCHREALTIME
    done < <(timeout "$limit" "$@" < /dev/null 2>&1 || true)
    end=$EPOCHREALTIME
    local ok=FAIL
    grep -q "nested-guest: ping ok" "$out/$label.log" && grep -q "nested-guest: disk lsemu-nested-disk" "$out/$label.log" \
        && grep -q "nested-guest: nproc 2" "$out/$label.log" && grep -q "nested-host: qemu exit 0" "$out/$label.log" && ok=ok
    secs() { [ -n "$1" ] && awk -v a="$t0" -v b="$1" 'BEGIN { printf "%.1f", b - a }' || echo "-"; }
    printf '%-34s %12s %14s %10s   %s\n' "$label" "$(secs "$host")" "$(secs "$shell")" "$(secs "$end")" "$ok"
}

printf '%-34s %12s %14s %10s   %s\n' "L1 (runs the nested QEMU/KVM)" "L1 shell s" "L2 shell s" "total s" "L2 checks"
for e in ${ENGINES:-interp jit}; do
    run "lsemu --engine $e --smp 2" "$lsemu" boot --kernel "$corpus/Image" --dtb "$corpus/fsl-ls2088a-rdb.dtb" \
        --initrd "$out/host.cpio" --smp 2 --entry-el 2 --engine "$e"
done
if [ "${QEMU:-1}" != 0 ]; then
    run "qemu-system-aarch64 TCG -smp 2" qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu cortex-a72 \
        -smp 2 -m 2G -kernel "$corpus/Image" -initrd "$out/host.cpio" -append "console=ttyAMA0 panic=-1" \
        -display none -no-reboot -nic none -monitor none -serial stdio
fi
echo "logs in $out"
