/* The program tools/tests/gdb.rs debugs with gdb-multiarch (it also runs, undebugged,
 * in the bare-metal suite). It prints the values gdb is expected to see, so the test can
 * compare what gdb read (registers, memory) with what the program itself printed:
 * - `checkpoint(tag, value)` is where gdb breaks: x0/x1 hold its arguments;
 * - `table` is filled before the second checkpoint and printed after it;
 * - `stepseq` is a fixed instruction sequence for single steps (offsets below);
 * - `bump` stores to `watched` (the watchpoint);
 * - `exit_status` is the exit code; gdb changes it through a memory write. */
#include "semihost.h"

volatile uint64_t watched;
volatile uint64_t exit_status;
uint64_t table[8];

__attribute__((noinline)) void checkpoint(uint64_t tag, uint64_t value)
{
    sh_printf("checkpoint %lu value %016lx\n", tag, value);
}

__attribute__((noinline)) void bump(uint64_t by)
{
    watched = watched + by;
}

/* Offsets: +0 mov, +4 add, +8 b, +12 nop (skipped), +16 lsl, +20 ret. x0 = (1 + 2) << 3. */
uint64_t stepseq(void);
__asm__(".global stepseq\n"
        ".type stepseq, %function\n"
        "stepseq:\n"
        "    mov x0, #1\n"
        "    add x0, x0, #2\n"
        "    b 1f\n"
        "    nop\n"
        "1:  lsl x0, x0, #3\n"
        "    ret\n"
        ".size stepseq, . - stepseq\n");

int main(void)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    checkpoint(1, seed);
    for (int i = 0; i < 8; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        table[i] = seed ^ (seed >> 29);
    }
    checkpoint(2, table[7]);
    for (int i = 0; i < 8; i++)
        sh_printf("table[%d] = %016lx\n", i, table[i]);
    sh_printf("stepseq = %lu\n", stepseq());
    bump(5);
    bump(7);
    sh_printf("watched = %lu\n", watched);
    return (int)exit_status + sh_failures;
}
