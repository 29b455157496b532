/* Oracle for lsemu's FP tests: executes single A64 instructions on the host CPU model
 * (run under qemu-aarch64) with register inputs read from stdin and prints the outputs.
 *
 * Input lines (hex numbers, space separated):
 *   S insn fpcr a b c           v1.d[0]=a v2.d[0]=b v3.d[0]=c (upper halves 0), x1=a x2=b
 *                               x0=0 v0=0, nzcv=0 -> prints "v0lo x0 nzcv fpsr"
 *   F insn fpcr nzcv v0h v0l v1h v1l v2h v2l v3h v3l x0 x1 x2 x3
 *                            -> prints "v0h v0l v1h v1l v2h v2l v3h v3l x0 x1 x2 x3 nzcv fpsr"
 * An instruction that raises SIGILL prints "U". */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

struct st {
    uint64_t q[8];      /* q0..q3, little-endian lo,hi pairs */
    uint64_t fpcr;      /* 64 */
    uint64_t nzcv;      /* 72 */
    uint64_t x[4];      /* 80 */
    uint64_t fpsr_out;  /* 112 */
    uint64_t nzcv_out;  /* 120 */
};

void run_insn(struct st *s, void *code);
__asm__(
    ".text\n.global run_insn\n.type run_insn,%function\nrun_insn:\n"
    "stp x29, x30, [sp, #-32]!\n"
    "str x19, [sp, #16]\n"
    "mov x19, x0\n"
    "mov x16, x1\n"
    "ldp q0, q1, [x19, #0]\n"
    "ldp q2, q3, [x19, #32]\n"
    "ldr x9, [x19, #64]\n"
    "msr fpcr, x9\n"
    "msr fpsr, xzr\n"
    "ldr x9, [x19, #72]\n"
    "msr nzcv, x9\n"
    "ldp x0, x1, [x19, #80]\n"
    "ldp x2, x3, [x19, #96]\n"
    "blr x16\n"
    "stp q0, q1, [x19, #0]\n"
    "stp q2, q3, [x19, #32]\n"
    "stp x0, x1, [x19, #80]\n"
    "stp x2, x3, [x19, #96]\n"
    "mrs x9, fpsr\n"
    "str x9, [x19, #112]\n"
    "mrs x9, nzcv\n"
    "str x9, [x19, #120]\n"
    "msr fpcr, xzr\n"
    "ldr x19, [sp, #16]\n"
    "ldp x29, x30, [sp], #32\n"
    "ret\n");

static sigjmp_buf jb;
static void on_sigill(int sig) { (void)sig; siglongjmp(jb, 1); }

int main(void) {
    static char line[1024];
    uint32_t *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) return 2;
    uint32_t cur = 0xffffffff;
    code[0] = 0xd503201f;
    code[1] = 0xd65f03c0; /* ret */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigill;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGILL, &sa, 0);
    setvbuf(stdout, 0, _IOFBF, 1 << 20);
    while (fgets(line, sizeof line, stdin)) {
        struct st s;
        memset(&s, 0, sizeof s);
        unsigned long long insn, fpcr, n[16];
        int full = line[0] == 'F';
        if (full) {
            if (sscanf(line + 1, "%llx %llx %llx %llx %llx %llx %llx %llx %llx %llx %llx %llx %llx %llx %llx",
                       &insn, &fpcr, &n[0], &n[1], &n[2], &n[3], &n[4], &n[5], &n[6], &n[7], &n[8], &n[9],
                       &n[10], &n[11], &n[12]) != 15)
                return 3;
            s.nzcv = n[0];
            for (int i = 0; i < 4; i++) {
                s.q[2 * i + 1] = n[1 + 2 * i];
                s.q[2 * i] = n[2 + 2 * i];
            }
            for (int i = 0; i < 4; i++) s.x[i] = n[9 + i];
        } else {
            if (sscanf(line + 1, "%llx %llx %llx %llx %llx", &insn, &fpcr, &n[0], &n[1], &n[2]) != 5) return 3;
            s.q[2] = n[0];
            s.q[4] = n[1];
            s.q[6] = n[2];
            s.x[1] = n[0];
            s.x[2] = n[1];
        }
        s.fpcr = fpcr;
        if ((uint32_t)insn != cur) {
            cur = (uint32_t)insn;
            code[0] = cur;
            __builtin___clear_cache((char *)code, (char *)(code + 2));
        }
        if (sigsetjmp(jb, 1)) {
            fputs("U\n", stdout);
            continue;
        }
        run_insn(&s, code);
        if (full) {
            for (int i = 0; i < 4; i++) printf("%llx %llx ", (unsigned long long)s.q[2 * i + 1], (unsigned long long)s.q[2 * i]);
            for (int i = 0; i < 4; i++) printf("%llx ", (unsigned long long)s.x[i]);
            printf("%llx %llx\n", (unsigned long long)s.nzcv_out, (unsigned long long)s.fpsr_out);
        } else {
            printf("%llx %llx %llx %llx\n", (unsigned long long)s.q[0], (unsigned long long)s.x[0],
                   (unsigned long long)s.nzcv_out, (unsigned long long)s.fpsr_out);
        }
    }
    fflush(stdout);
    return 0;
}
