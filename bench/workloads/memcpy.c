/* Memory copying: a byte loop, a 64-bit word loop and a 4x-unrolled 64-bit loop copy
 * blocks of varied sizes and alignments around a 256 KiB arena. (Built with
 * -fno-tree-loop-distribute-patterns so the loops stay loops, not library calls.) */
#include "bench.h"

#define ARENA (256 * 1024)
static uint64_t arena_w[ARENA / 8 + 8];

static void copy_bytes(uint8_t *d, const uint8_t *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        d[i] = s[i];
}

static void copy_words(uint64_t *d, const uint64_t *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        d[i] = s[i];
}

static void copy_words4(uint64_t *d, const uint64_t *s, unsigned n)
{
    unsigned i = 0;
    for (; i + 4 <= n; i += 4) {
        uint64_t a = s[i], b = s[i + 1], c = s[i + 2], e = s[i + 3];
        d[i] = a;
        d[i + 1] = b;
        d[i + 2] = c;
        d[i + 3] = e;
    }
    for (; i < n; i++)
        d[i] = s[i];
}

int main(void)
{
    uint8_t *arena = (uint8_t *)arena_w;
    uint64_t s = opaque(42);
    for (unsigned i = 0; i < ARENA / 8; i++)
        arena_w[i] = rnd(&s);
    uint64_t sum = 0;
    unsigned iters = (unsigned)opaque(SCALE(1500));
    for (unsigned it = 0; it < iters; it++) {
        uint64_t r = rnd(&s);
        unsigned len = 64 + (unsigned)(r % 16384);
        unsigned from = (unsigned)((r >> 20) % (ARENA - len));
        unsigned to = (unsigned)((r >> 40) % (ARENA - len));
        switch (it % 3) {
        case 0:
            copy_bytes(arena + to, arena + from, len);
            break;
        case 1:
            copy_words(arena_w + to / 8, arena_w + from / 8, len / 8);
            break;
        default:
            copy_words4(arena_w + to / 8, arena_w + from / 8, len / 8);
            break;
        }
        sum = sum * 0x100000001b3ull + arena[(to + len / 2) % ARENA];
    }
    uint64_t all = 0;
    for (unsigned i = 0; i < ARENA / 8; i++)
        all = (all ^ arena_w[i]) * 0x100000001b3ull;
    REPORT("memcpy.samples", sum);
    REPORT("memcpy.arena", all);
    return 0;
}
