/* Floating point (double): a dense matrix multiply, a Mandelbrot set, and an n-body
 * integration with square roots. Only +, -, *, / and sqrt (correctly rounded IEEE
 * operations, built with -ffp-contract=off), so every build gives the same bits. */
#include "bench.h"

#define M 96
static double A[M][M], B[M][M], C[M][M];

static uint64_t bits(double d)
{
    union { double d; uint64_t u; } x = { d };
    return x.u;
}

int main(void)
{
    uint64_t s = opaque(5);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) {
            A[i][j] = (double)(rnd(&s) % 2001) / 1000.0 - 1.0;
            B[i][j] = (double)(rnd(&s) % 2001) / 1000.0 - 1.0;
        }
    double tr = 0;
    int reps = (int)opaque(SCALE(4));
    for (int r = 0; r < reps; r++) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < M; j++) {
                double acc = 0;
                for (int k = 0; k < M; k++)
                    acc += A[i][k] * B[k][j];
                C[i][j] = acc;
            }
        for (int i = 0; i < M; i++) {
            tr += C[i][i];
            A[i][(i + r) % M] = C[i][i] / 64.0;
        }
    }
    REPORT("fp.matmul", bits(tr));

    uint64_t inside = 0;
    int W = (int)opaque(SCALE(160)), H = 120, maxit = 200;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double cr = -2.0 + 3.0 * x / W, ci = -1.2 + 2.4 * y / H, zr = 0, zi = 0;
            int it = 0;
            while (it < maxit && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                it++;
            }
            inside = inside * 3 + (uint64_t)it;
        }
    REPORT("fp.mandelbrot", inside);

    enum { NB = 5 };
    double px[NB], py[NB], pz[NB], vx[NB] = { 0 }, vy[NB] = { 0 }, vz[NB] = { 0 }, m[NB];
    for (int i = 0; i < NB; i++) {
        px[i] = (double)(rnd(&s) % 1000) / 100.0;
        py[i] = (double)(rnd(&s) % 1000) / 100.0;
        pz[i] = (double)(rnd(&s) % 1000) / 100.0;
        m[i] = 1.0 + (double)(rnd(&s) % 100) / 10.0;
    }
    int steps = (int)opaque(SCALE(20000));
    for (int t = 0; t < steps; t++) {
        for (int i = 0; i < NB; i++)
            for (int j = i + 1; j < NB; j++) {
                double dx = px[i] - px[j], dy = py[i] - py[j], dz = pz[i] - pz[j];
                double d2 = dx * dx + dy * dy + dz * dz + 0.01;
                double d = __builtin_sqrt(d2);
                double mag = 0.001 / (d2 * d);
                vx[i] -= dx * m[j] * mag;
                vy[i] -= dy * m[j] * mag;
                vz[i] -= dz * m[j] * mag;
                vx[j] += dx * m[i] * mag;
                vy[j] += dy * m[i] * mag;
                vz[j] += dz * m[i] * mag;
            }
        for (int i = 0; i < NB; i++) {
            px[i] += 0.001 * vx[i];
            py[i] += 0.001 * vy[i];
            pz[i] += 0.001 * vz[i];
        }
    }
    double e = 0;
    for (int i = 0; i < NB; i++)
        e += m[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i]) + px[i] + py[i] + pz[i];
    REPORT("fp.nbody", bits(e));
    return 0;
}
