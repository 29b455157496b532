#include <stdarg.h>
#include "semihost.h"

int sh_failures;

long sh_call(long op, const void *arg)
{
    register long x0 __asm__("x0") = op;
    register const void *x1 __asm__("x1") = arg;
    __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

void sh_putc(char c) { sh_call(0x03, &c); }
void sh_puts(const char *s) { sh_call(0x04, s); }

void sh_exit(int code)
{
    uint64_t blk[2] = { 0x20026, (uint64_t)(int64_t)code };
    sh_call(0x20, blk);
    for (;;)
        ;
}

static void put_num(char *buf, int *n, uint64_t v, unsigned base, int width, int neg)
{
    char tmp[24];
    int i = 0;
    do {
        unsigned d = v % base;
        tmp[i++] = d < 10 ? '0' + d : 'a' + d - 10;
        v /= base;
    } while (v);
    if (neg)
        tmp[i++] = '-';
    while (i < width)
        tmp[i++] = '0';
    while (i)
        buf[(*n)++] = tmp[--i];
}

void sh_printf(const char *fmt, ...)
{
    char buf[512];
    int n = 0;
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p && n < (int)sizeof(buf) - 40; p++) {
        if (*p != '%') {
            buf[n++] = *p;
            continue;
        }
        p++;
        int width = 0, lng = 0;
        while (*p >= '0' && *p <= '9')
            width = width * 10 + (*p++ - '0');
        while (*p == 'l') {
            lng = 1;
            p++;
        }
        switch (*p) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            while (*s && n < (int)sizeof(buf) - 40)
                buf[n++] = *s++;
            break;
        }
        case 'c': buf[n++] = (char)va_arg(ap, int); break;
        case 'd': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            put_num(buf, &n, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, v < 0);
            break;
        }
        case 'u': put_num(buf, &n, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, 0); break;
        case 'x': put_num(buf, &n, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, 0); break;
        case '%': buf[n++] = '%'; break;
        default: buf[n++] = '?'; break;
        }
    }
    va_end(ap);
    buf[n] = 0;
    sh_puts(buf);
}

void check_u64(const char *name, uint64_t got, uint64_t want)
{
    if (got == want) {
        sh_printf("PASS %s\n", name);
    } else {
        sh_failures++;
        sh_printf("FAIL %s: got %016lx want %016lx\n", name, got, want);
    }
}
