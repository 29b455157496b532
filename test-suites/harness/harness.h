/* lsemu QEMU user-mode differential harness: shared layout (mirrored in src/diff.rs). */
#ifndef LSEMU_HARNESS_H
#define LSEMU_HARNESS_H
#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

#define SCRATCH_BASE 0x10000000UL
#define SCRATCH_SIZE 4096
#define CODE_BASE    0x04000000UL   /* within reach of the static binary's text */
#define CODE_WORDS   78             /* prelude + up to 64 instructions + stub; keeps st 16-aligned */
#define MAGIC_IN     0x4c534531u    /* "LSE1" */
#define MAGIC_OUT    0x4c534f31u

/* Offsets used by run.S. */
#define ST_X     0
#define ST_SP    248
#define ST_NZCV  256
#define ST_FPCR  264
#define ST_FPSR  272
#define ST_V     288
#define ST_SIZE  800

#ifndef __ASSEMBLER__
struct state {
    uint64_t x[31];
    uint64_t sp, nzcv, fpcr, fpsr, pad;
    __uint128_t v[32];
};
_Static_assert(sizeof(struct state) == ST_SIZE, "state layout");

struct case_in {
    uint32_t magic, nwords;
    uint32_t code[CODE_WORDS];
    struct state st;
    uint8_t scratch[SCRATCH_SIZE];
};

_Static_assert(__builtin_offsetof(struct case_in, st) == 8 + 4 * CODE_WORDS, "case_in layout");

struct case_out {
    uint32_t magic;
    int32_t fault_index;   /* -1: ran to the end */
    int32_t signo, si_code;
    uint64_t fault_addr, pc;
    struct state st;
    uint8_t scratch[SCRATCH_SIZE];
};
_Static_assert(__builtin_offsetof(struct case_out, st) == 32, "case_out layout");
#endif
#endif
