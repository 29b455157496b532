/* Smallest end-to-end check: semihosting output, arithmetic, the exit code. */
#include "semihost.h"

static uint64_t fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(void)
{
    uint64_t el;
    __asm__ volatile("mrs %0, CurrentEL" : "=r"(el));
    sh_printf("hello from EL%u\n", (unsigned)(el >> 2));
    check_u64("fib(20)", fib(20), 6765);
    return sh_failures;
}
