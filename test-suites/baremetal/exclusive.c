/* The local exclusive monitor (Arm ARM B2.9): LDXR/STXR pairs, CLREX, STXR without a
   reservation, exclusive pairs, byte/halfword forms, and the reservation being cleared by an
   exception return. Only architecturally defined outcomes are checked. */
#include "semihost.h"

static volatile uint64_t word[4] __attribute__((aligned(64)));
static volatile uint64_t pair[2] __attribute__((aligned(16)));
static volatile uint8_t bytes[8] __attribute__((aligned(8)));

static uint64_t ldxr(volatile uint64_t *p)
{
    uint64_t v;
    __asm__ volatile("ldxr %0, [%1]" : "=r"(v) : "r"(p) : "memory");
    return v;
}

static uint32_t stxr(volatile uint64_t *p, uint64_t v)
{
    uint32_t s;
    __asm__ volatile("stxr %w0, %1, [%2]" : "=&r"(s) : "r"(v), "r"(p) : "memory");
    return s;
}

extern char vectors[];
__asm__(
    ".balign 2048\n"
    "vectors:\n"
    /* synchronous exception from the current EL with SP_ELx (offset 0x200): skip the
       instruction (an SVC or HVC/SMC would return past itself anyway) and return */
    ".org vectors + 0x200\n"
    "    mrs x9, esr_el3\n"
    "    ubfx x9, x9, #26, #6\n"
    "    cmp x9, #0x15\n"          /* SVC returns to the next instruction already */
    "    b.eq 1f\n"
    "    mrs x9, elr_el3\n"
    "    add x9, x9, #4\n"
    "    msr elr_el3, x9\n"
    "1:  eret\n"
    ".org vectors + 0x800\n");

int main(void)
{
    __asm__ volatile("msr vbar_el3, %0; isb" : : "r"(vectors));

    word[0] = 5;
    uint64_t v = ldxr(&word[0]);
    check_u64("ldxr reads value", v, 5);
    check_u64("stxr after ldxr succeeds", stxr(&word[0], 6), 0);
    check_u64("stxr wrote", word[0], 6);

    check_u64("second stxr without ldxr fails", stxr(&word[0], 7), 1);
    check_u64("failed stxr does not write", word[0], 6);

    ldxr(&word[0]);
    __asm__ volatile("clrex" ::: "memory");
    check_u64("stxr after clrex fails", stxr(&word[0], 8), 1);
    check_u64("value unchanged after clrex", word[0], 6);

    /* An exception return clears the local monitor. */
    ldxr(&word[0]);
    __asm__ volatile("svc #0" ::: "memory", "x9");
    check_u64("stxr after exception return fails", stxr(&word[0], 9), 1);

    /* Exclusive pair. */
    pair[0] = 0x1111;
    pair[1] = 0x2222;
    uint64_t a, b;
    uint32_t s;
    __asm__ volatile("ldxp %0, %1, [%2]" : "=&r"(a), "=&r"(b) : "r"(pair) : "memory");
    check_u64("ldxp first", a, 0x1111);
    check_u64("ldxp second", b, 0x2222);
    __asm__ volatile("stxp %w0, %1, %2, [%3]" : "=&r"(s) : "r"(b), "r"(a), "r"(pair) : "memory");
    check_u64("stxp succeeds", s, 0);
    check_u64("stxp swapped first", pair[0], 0x2222);
    check_u64("stxp swapped second", pair[1], 0x1111);

    /* Byte and acquire/release forms. */
    bytes[3] = 0x7f;
    uint32_t bv;
    __asm__ volatile("ldaxrb %w0, [%1]" : "=r"(bv) : "r"(&bytes[3]) : "memory");
    check_u64("ldaxrb", bv, 0x7f);
    __asm__ volatile("stlxrb %w0, %w1, [%2]" : "=&r"(s) : "r"(0x80u), "r"(&bytes[3]) : "memory");
    check_u64("stlxrb succeeds", s, 0);
    check_u64("stlxrb wrote", bytes[3], 0x80);

    /* A counter incremented by an LDXR/STXR retry loop. */
    word[1] = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t t;
        do {
            t = ldxr(&word[1]);
        } while (stxr(&word[1], t + 1));
    }
    check_u64("atomic counter", word[1], 100);

    /* An unaligned exclusive access is an alignment fault: the handler skips it. */
    uint64_t before = word[2] = 42;
    uint64_t far = 0;
    __asm__ volatile("ldxr %0, [%1]" : "=r"(v) : "r"((volatile char *)&word[2] + 1) : "memory");
    __asm__ volatile("mrs %0, far_el3" : "=r"(far));
    check_u64("unaligned ldxr faults (FAR)", far, (uint64_t)((volatile char *)&word[2] + 1));
    uint64_t esr;
    __asm__ volatile("mrs %0, esr_el3" : "=r"(esr));
    check_u64("unaligned ldxr: EC 0x25, DFSC alignment", esr & 0xfc00003f, 0x94000021);
    check_u64("memory untouched", word[2], before);

    sh_printf("%s\n", sh_failures ? "exclusive: FAILED" : "exclusive: all passed");
    return sh_failures;
}
