/* Minimal semihosting library for bare-metal test programs (Arm semihosting v2). */
#ifndef SEMIHOST_H
#define SEMIHOST_H
#include <stdint.h>

long sh_call(long op, const void *arg);
void sh_putc(char c);
void sh_puts(const char *s);              /* no newline added */
void sh_printf(const char *fmt, ...);     /* %s %c %d %u %x %lx %lu %ld %016lx %08x %% */
void sh_exit(int code) __attribute__((noreturn));

/* Test helpers: print "PASS name" or "FAIL name: got X want Y" and count failures. */
extern int sh_failures;
void check_u64(const char *name, uint64_t got, uint64_t want);
#endif
