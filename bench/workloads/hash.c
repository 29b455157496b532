/* Integer hashing: FNV-1a, a 64-bit multiply-xorshift mixer and a table-driven CRC-32
 * over a 64 KiB pseudo-random buffer, many rounds. */
#include "bench.h"

#define N (64 * 1024)
static uint64_t buf_w[N / 8];
#define buf ((uint8_t *)buf_w)
static uint32_t crc_table[256];

int main(void)
{
    uint64_t s = opaque(0x1234567);
    for (int i = 0; i < N; i++)
        buf[i] = (uint8_t)rnd(&s);
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    uint64_t fnv = 0xcbf29ce484222325ull, mix = 0, crc_acc = 0;
    int rounds = (int)opaque(SCALE(24));
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < N; i++)
            fnv = (fnv ^ buf[i]) * 0x100000001b3ull;
        const uint64_t *w = buf_w;
        for (int i = 0; i < N / 8; i++) {
            uint64_t z = w[i] + mix + 0x9e3779b97f4a7c15ull;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            mix = z ^ (z >> 31);
        }
        uint32_t c = 0xffffffffu;
        for (int i = 0; i < N; i++)
            c = crc_table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
        crc_acc = crc_acc * 31 + (c ^ 0xffffffffu);
        buf[r % N] ^= (uint8_t)mix;
    }
    REPORT("hash.fnv1a", fnv);
    REPORT("hash.mix64", mix);
    REPORT("hash.crc32", crc_acc);
    return 0;
}
