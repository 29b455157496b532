/* Common helpers of the CPU-bound workloads. The same source is built three ways:
 * bare-metal AArch64 with semihosting (-DBAREMETAL, for lsemu run --bios --semihosting),
 * static AArch64 Linux (for qemu-aarch64 user mode) and native x86-64. Every workload
 * prints "<name> <checksum>" lines: the checksums must be identical in all builds. */
#ifndef BENCH_H
#define BENCH_H
#include <stdint.h>

#ifdef BAREMETAL
#include "semihost.h"
#define REPORT(name, v) sh_printf("%s %016lx\n", (name), (unsigned long)(v))
#else
#include <stdio.h>
#define REPORT(name, v) printf("%s %016lx\n", (name), (unsigned long)(v))
#endif

/* A deterministic pseudo-random sequence (xorshift64*). */
static inline uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Loop counts: -DQUICK (the JIT test in tools/tests/jit_workloads.rs) runs an eighth;
 * -DBENCH_SCALE=K (scripts/bench.sh) K times as many, so that fixed costs (process start,
 * lsemu's machine set-up, qemu-user's start) do not weigh in the ratios. */
#ifdef QUICK
#define SCALE(n) ((n) / 8 > 2 ? (n) / 8 : 2)
#elif defined(BENCH_SCALE)
#define SCALE(n) ((n) * (BENCH_SCALE))
#else
#define SCALE(n) (n)
#endif

/* Keeps the compiler from computing a loop's result at build time. */
static inline uint64_t opaque(uint64_t v)
{
    __asm__ volatile("" : "+r"(v));
    return v;
}
#endif
