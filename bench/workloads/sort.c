/* Sorting: quicksort (median of three, insertion sort for short runs) and a bottom-up
 * merge sort of 32-bit keys, several rounds over fresh pseudo-random arrays. */
#include "bench.h"

#define N (64 * 1024)
static uint32_t a[N], tmp[N];

static void insertion(uint32_t *v, int n)
{
    for (int i = 1; i < n; i++) {
        uint32_t x = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static void quick(uint32_t *v, int n)
{
    while (n > 16) {
        uint32_t x = v[0], y = v[n / 2], z = v[n - 1];
        uint32_t p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int i = 0, j = n - 1;
        for (;;) {
            while (v[i] < p)
                i++;
            while (v[j] > p)
                j--;
            if (i >= j)
                break;
            uint32_t t = v[i];
            v[i] = v[j];
            v[j] = t;
            i++;
            j--;
        }
        /* recurse into the smaller part, loop on the larger */
        if (j + 1 < n - j - 1) {
            quick(v, j + 1);
            v += j + 1;
            n -= j + 1;
        } else {
            quick(v + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    insertion(v, n);
}

static void merge_sort(uint32_t *v, int n)
{
    uint32_t *src = v, *dst = tmp;
    for (int w = 1; w < n; w *= 2) {
        for (int lo = 0; lo < n; lo += 2 * w) {
            int mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = src[i] <= src[j] ? src[i++] : src[j++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        for (int i = 0; i < n; i++)
            v[i] = src[i];
}

int main(void)
{
    uint64_t s = opaque(7), acc = 0;
    int rounds = (int)opaque(SCALE(6));
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < N; i++)
            a[i] = (uint32_t)rnd(&s) % (r & 2 ? 1000u : 0xffffffffu);
        if (r & 1)
            merge_sort(a, N);
        else
            quick(a, N);
        for (int i = 1; i < N; i++)
            if (a[i - 1] > a[i])
                acc ^= 0xbad0000000000000ull | (uint64_t)i;
        for (int i = 0; i < N; i += 97)
            acc = acc * 31 + a[i];
    }
    REPORT("sort.sample", acc);
    return 0;
}
