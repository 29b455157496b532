#!/usr/bin/env bash
# Benchmark (not a test; no timing is asserted anywhere). In one invocation, on this machine:
#
#  (a) boot: time from start to poweroff of Debian's arm64 kernel + a busybox initramfs
#      whose init powers off at once, at 1 and 8 vCPUs, under lsemu --engine jit,
#      lsemu --engine interp (LS2088A-RDB model, the kernel's RDB dtb) and Debian's
#      qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a72 -m 2G (TCG), same kernel
#      and initramfs;
#  (b) workloads: the CPU-bound programs of bench/workloads/*.c (integer hashing, memory
#      copying, sorting, a branchy state machine, floating point), each run as a bare-metal
#      program under lsemu run --bios --semihosting (jit and interp), as a static Linux
#      binary under qemu-aarch64 user mode, and natively (x86-64 build of the same source).
#      Their checksums must agree across the four runs (a wrong engine is reported).
#
# Prints one table per part with times (seconds, wall clock) and ratios. BENCH_REPEAT=N
# runs each workload N times and keeps the shortest time (the machine may be shared).
# BENCH_SCALE=K (default 16) multiplies the workloads' loop counts (bench.h SCALE): at 16
# the native runs take 0.1-0.4 s, so process start-up and lsemu's machine set-up (a few
# ms) do not decide the ratios; BENCH_SCALE=1 is the size the JIT test uses x8.
# Usage: scripts/bench.sh [--boot | --workloads]   (default: both)
# Needs: the corpus (test-suites/fetch-corpus.sh), qemu-system-arm, qemu-user,
# gcc-aarch64-linux-gnu, gcc, make.
set -euo pipefail
cd "$(dirname "$0")/.."
PARTS=${1:-all}
case "$PARTS" in all | --boot | --workloads) ;; *) echo "usage: $0 [--boot | --workloads]" >&2; exit 2 ;; esac
cargo build --release -q -p lsemu
LSEMU=$PWD/target/release/lsemu
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
STATUS=0

now() { date +%s%N; }
# secs START END -> seconds with 3 decimals
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
# timeit OUT CMD...: runs CMD ${BENCH_REPEAT:-1} times (stdout to OUT, stderr to OUT.err)
# and prints the shortest time; a failing run leaves OUT.failed (checked by the caller).
timeit() {
    local out=$1; shift
    local best="" s e t k
    for ((k = 0; k < ${BENCH_REPEAT:-1}; k++)); do
        s=$(now)
        "$@" > "$out" 2> "$out.err" < /dev/null || echo "exit code $?" > "$out.failed"
        e=$(now)
        t=$((e - s))
        if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
    done
    secs 0 "$best"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

boot_part() {
    local C=${LSEMU_CORPUS:-$HOME/.cache/lsemu/corpus}
    [ -s "$C/Image" ] || test-suites/fetch-corpus.sh
    echo 'echo lsemu-bench: userland reached' > "$W/init.sh"
    "$LSEMU" initramfs --busybox "$C/busybox" --init-script "$W/init.sh" -o "$W/initrd.gz"
    # run TAG CMD...: times CMD, checks it reached userland; prints the seconds.
    run() {
        local tag=$1; shift
        local s e
        s=$(now)
        "$@" > "$W/$tag.out" 2>&1 < /dev/null || true
        e=$(now)
        if ! grep -q "lsemu-bench: userland reached" "$W/$tag.out"; then
            echo "bench: $tag did not reach userland: $*" >&2
            tail -5 "$W/$tag.out" >&2
            # (run is called in $(...): a subshell, so the failure is left as a file.)
            touch "$W/boot.failed"
        fi
        secs "$s" "$e"
    }
    echo
    echo "Boot to poweroff: Debian's arm64 kernel ($C/Image) + busybox initramfs (seconds, wall clock)"
    printf '%-6s %12s %12s %12s %10s %10s\n' vCPUs lsemu-jit lsemu-interp qemu-system jit/qemu jit/interp
    for n in 1 8; do
        local j i q k t
        # lsemu-jit and qemu alternate BENCH_REPEAT times (the shortest time of each is
        # kept: both see the same machine state); the interpreter runs once.
        j=""; q=""
        for ((k = 0; k < ${BENCH_REPEAT:-1}; k++)); do
            t=$(run jit$n "$LSEMU" boot --engine jit --kernel "$C/Image" --dtb "$C/fsl-ls2088a-rdb.dtb" --initrd "$W/initrd.gz" --smp $n --append "console=ttyS1,115200")
            j=$(awk -v a="$j" -v b="$t" 'BEGIN { print (a == "" || b < a) ? b : a }')
            t=$(run qemu$n timeout 600 qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a72 -m 2G -smp $n -kernel "$C/Image" \
                -initrd "$W/initrd.gz" -append "console=ttyAMA0" -display none -serial stdio -monitor none -no-reboot)
            q=$(awk -v a="$q" -v b="$t" 'BEGIN { print (a == "" || b < a) ? b : a }')
        done
        i=$(run interp$n "$LSEMU" boot --engine interp --kernel "$C/Image" --dtb "$C/fsl-ls2088a-rdb.dtb" --initrd "$W/initrd.gz" --smp $n --append "console=ttyS1,115200")
        if ! cmp -s "$W/jit$n.out" "$W/interp$n.out"; then
            echo "bench: the console logs of --engine jit and --engine interp differ at $n vCPUs" >&2
            STATUS=1
        fi
        printf '%-6s %12s %12s %12s %10s %10s\n' $n "$j" "$i" "$q" "$(ratio "$j" "$q")" "$(ratio "$j" "$i")"
    done
    if [ -e "$W/boot.failed" ]; then STATUS=1; fi
}

workloads_part() {
    local S=${BENCH_SCALE:-16}
    local B=$PWD/target/bench/scale$S
    make -s -C bench/workloads OUT="$B" EXTRA="-DBENCH_SCALE=$S"
    echo
    echo "CPU-bound workloads, BENCH_SCALE=$S (seconds, wall clock; lsemu: bare metal at EL3, MMU off, semihosting)"
    printf '%-8s %9s %9s %9s %12s %9s %10s %10s  %s\n' workload native qemu-user lsemu-jit lsemu-interp jit/qemu jit/native jit/interp checksums
    local int_n=0 int_q=0 int_j=0 int_i=0
    for src in bench/workloads/*.c; do
        local w tn tq tj ti ok
        w=$(basename "$src" .c)
        tn=$(timeit "$W/$w.native" "$B/native/$w")
        tq=$(timeit "$W/$w.qemu" qemu-aarch64 -cpu cortex-a72 "$B/linux/$w")
        tj=$(timeit "$W/$w.jit" "$LSEMU" run --engine jit --semihosting --bios "$B/baremetal/$w.elf")
        ti=$(timeit "$W/$w.interp" "$LSEMU" run --engine interp --semihosting --bios "$B/baremetal/$w.elf")
        ok=same
        for k in native qemu jit interp; do
            if [ -e "$W/$w.$k.failed" ]; then
                ok="FAILED($k)"
                STATUS=1
                echo "bench: $w under $k: $(cat "$W/$w.$k.failed"): $(tail -3 "$W/$w.$k.err")" >&2
            fi
        done
        for k in qemu jit interp; do
            if ! cmp -s "$W/$w.native" "$W/$w.$k"; then
                ok="DIFFER($k)"
                STATUS=1
                echo "bench: $w: $k printed something else than native:" >&2
                diff "$W/$w.native" "$W/$w.$k" >&2 || true
            fi
        done
        printf '%-8s %9s %9s %9s %12s %9s %10s %10s  %s\n' "$w" "$tn" "$tq" "$tj" "$ti" "$(ratio "$tj" "$tq")" "$(ratio "$tj" "$tn")" "$(ratio "$tj" "$ti")" "$ok"
        if [ "$w" != fp ]; then
            int_n=$(awk -v a="$int_n" -v b="$tn" 'BEGIN { print a + b }')
            int_q=$(awk -v a="$int_q" -v b="$tq" 'BEGIN { print a + b }')
            int_j=$(awk -v a="$int_j" -v b="$tj" 'BEGIN { print a + b }')
            int_i=$(awk -v a="$int_i" -v b="$ti" 'BEGIN { print a + b }')
        fi
    done
    printf '%-8s %9.3f %9.3f %9.3f %12.3f %9s %10s %10s  (all but fp)\n' integer "$int_n" "$int_q" "$int_j" "$int_i" "$(ratio "$int_j" "$int_q")" "$(ratio "$int_j" "$int_n")" "$(ratio "$int_j" "$int_i")"
}

[ "$PARTS" = --workloads ] || boot_part
[ "$PARTS" = --boot ] || workloads_part
exit $STATUS
