/* Oracle for lsemu's FP tests: executes single A64 instructions on the host CPU model
 * (run under qemu-aarch64) with register inputs read from stdin and prints the outputs.
 *
 * Input lines (hex numbers, space separated):
 *   S insn fpcr a b c           v1.d[0]=a v2.d[0]=b v3.d[0]=c (upper halves 0), x1=a x2=b
 *                               x0=0 v0=0, nzcv=0 -> prints "v0lo x0 nzcv fpsr"
 *   F insn fpcr nzcv v0h v0l ... v31h v31l x0 ... x30
 *                            -> prints "v0h v0l ... v31h v31l x0 ... x30 nzcv fpsr"
 *                               (the instruction must not use x16 or x17, nor SP)
 * An instruction that raises SIGILL prints "U". */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static sigjmp_buf jb;
static void on_sigill(int sig) { (void)sig; siglongjmp(jb, 1); }

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



struct full {
    uint64_t x[32];     /* 0: x0..x30, pad */
    uint64_t q[64];     /* 256: v0..v31 as lo,hi */
    uint64_t fpcr;      /* 768 */
    uint64_t nzcv;      /* 776 */
    uint64_t fpsr_out;  /* 784 */
    uint64_t nzcv_out;  /* 792 */
};
struct full *g_full;
void run_full(struct full *s, void *code);
extern char run_full_back[];
__asm__(
    ".text\n.global run_full\n.type run_full,%function\nrun_full:\n"
    "sub sp, sp, #176\n"
    "stp x19, x20, [sp, #0]\nstp x21, x22, [sp, #16]\nstp x23, x24, [sp, #32]\n"
    "stp x25, x26, [sp, #48]\nstp x27, x28, [sp, #64]\nstp x29, x30, [sp, #80]\n"
    "stp d8, d9, [sp, #96]\nstp d10, d11, [sp, #112]\nstp d12, d13, [sp, #128]\nstp d14, d15, [sp, #144]\n"
    "adrp x9, g_full\nadd x9, x9, :lo12:g_full\nstr x0, [x9]\n"
    "mov x17, x1\n"
    "ldr x9, [x0, #768]\nmsr fpcr, x9\nmsr fpsr, xzr\nldr x9, [x0, #776]\nmsr nzcv, x9\n"
    "ldp q0, q1, [x0, #256]\n"
    "ldp q2, q3, [x0, #288]\n"
    "ldp q4, q5, [x0, #320]\n"
    "ldp q6, q7, [x0, #352]\n"
    "ldp q8, q9, [x0, #384]\n"
    "ldp q10, q11, [x0, #416]\n"
    "ldp q12, q13, [x0, #448]\n"
    "ldp q14, q15, [x0, #480]\n"
    "ldp q16, q17, [x0, #512]\n"
    "ldp q18, q19, [x0, #544]\n"
    "ldp q20, q21, [x0, #576]\n"
    "ldp q22, q23, [x0, #608]\n"
    "ldp q24, q25, [x0, #640]\n"
    "ldp q26, q27, [x0, #672]\n"
    "ldp q28, q29, [x0, #704]\n"
    "ldp q30, q31, [x0, #736]\n"
    "ldr x1, [x0, #8]\n"
    "ldp x2, x3, [x0, #16]\n"
    "ldp x4, x5, [x0, #32]\n"
    "ldp x6, x7, [x0, #48]\n"
    "ldp x8, x9, [x0, #64]\n"
    "ldp x10, x11, [x0, #80]\n"
    "ldp x12, x13, [x0, #96]\n"
    "ldp x14, x15, [x0, #112]\n"
    "ldp x18, x19, [x0, #144]\n"
    "ldp x20, x21, [x0, #160]\n"
    "ldp x22, x23, [x0, #176]\n"
    "ldp x24, x25, [x0, #192]\n"
    "ldp x26, x27, [x0, #208]\n"
    "ldp x28, x29, [x0, #224]\n"
    "ldr x30, [x0, #240]\n"
    "ldr x0, [x0, #0]\n"
    "br x17\n"
    ".global run_full_back\nrun_full_back:\n"
    "adrp x16, g_full\nadd x16, x16, :lo12:g_full\nldr x16, [x16]\n"
    "stp q0, q1, [x16, #256]\n"
    "stp q2, q3, [x16, #288]\n"
    "stp q4, q5, [x16, #320]\n"
    "stp q6, q7, [x16, #352]\n"
    "stp q8, q9, [x16, #384]\n"
    "stp q10, q11, [x16, #416]\n"
    "stp q12, q13, [x16, #448]\n"
    "stp q14, q15, [x16, #480]\n"
    "stp q16, q17, [x16, #512]\n"
    "stp q18, q19, [x16, #544]\n"
    "stp q20, q21, [x16, #576]\n"
    "stp q22, q23, [x16, #608]\n"
    "stp q24, q25, [x16, #640]\n"
    "stp q26, q27, [x16, #672]\n"
    "stp q28, q29, [x16, #704]\n"
    "stp q30, q31, [x16, #736]\n"
    "str x0, [x16, #0]\n"
    "str x1, [x16, #8]\n"
    "stp x2, x3, [x16, #16]\n"
    "stp x4, x5, [x16, #32]\n"
    "stp x6, x7, [x16, #48]\n"
    "stp x8, x9, [x16, #64]\n"
    "stp x10, x11, [x16, #80]\n"
    "stp x12, x13, [x16, #96]\n"
    "stp x14, x15, [x16, #112]\n"
    "stp x18, x19, [x16, #144]\n"
    "stp x20, x21, [x16, #160]\n"
    "stp x22, x23, [x16, #176]\n"
    "stp x24, x25, [x16, #192]\n"
    "stp x26, x27, [x16, #208]\n"
    "stp x28, x29, [x16, #224]\n"
    "str x30, [x16, #240]\n"
    "mrs x9, fpsr\nstr x9, [x16, #784]\nmrs x9, nzcv\nstr x9, [x16, #792]\nmsr fpcr, xzr\n"
    "ldp x19, x20, [sp, #0]\nldp x21, x22, [sp, #16]\nldp x23, x24, [sp, #32]\n"
    "ldp x25, x26, [sp, #48]\nldp x27, x28, [sp, #64]\nldp x29, x30, [sp, #80]\n"
    "ldp d8, d9, [sp, #96]\nldp d10, d11, [sp, #112]\nldp d12, d13, [sp, #128]\nldp d14, d15, [sp, #144]\n"
    "add sp, sp, #176\nret\n");

static uint32_t *fcode;
static uint32_t fcur = 0xffffffff;

static int do_full(char *line) {
    static struct full s;
    unsigned long long n[100];
    int k = 0;
    char *p = line, *e;
    while (k < 100) {
        unsigned long long v = strtoull(p, &e, 16);
        if (e == p) break;
        n[k++] = v;
        p = e;
    }
    if (k != 98) return 3;
    memset(&s, 0, sizeof s);
    uint32_t insn = (uint32_t)n[0];
    s.fpcr = n[1];
    s.nzcv = n[2];
    for (int i = 0; i < 32; i++) {
        s.q[2 * i + 1] = n[3 + 2 * i];
        s.q[2 * i] = n[4 + 2 * i];
    }
    for (int i = 0; i < 31; i++) s.x[i] = n[67 + i];
    if (insn != fcur) {
        fcur = insn;
        fcode[0] = insn;
        fcode[1] = 0x58000071; /* ldr x17, #12 -> fcode[4..5] */
        fcode[2] = 0xd61f0220; /* br x17 */
        fcode[3] = 0xd503201f;
        uint64_t back = (uint64_t)run_full_back;
        memcpy(&fcode[4], &back, 8);
        __builtin___clear_cache((char *)fcode, (char *)(fcode + 6));
    }
    if (sigsetjmp(jb, 1)) {
        fputs("U\n", stdout);
        return 0;
    }
    run_full(&s, fcode);
    for (int i = 0; i < 32; i++) printf("%llx %llx ", (unsigned long long)s.q[2 * i + 1], (unsigned long long)s.q[2 * i]);
    for (int i = 0; i < 31; i++) printf("%llx ", (unsigned long long)s.x[i]);
    printf("%llx %llx\n", (unsigned long long)s.nzcv_out, (unsigned long long)s.fpsr_out);
    return 0;
}

int main(void) {
    static char line[4096];
    uint32_t *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) return 2;
    fcode = code + 256;
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
        if (line[0] == 'F') {
            int r = do_full(line + 1);
            if (r) return r;
            continue;
        }
        if (sscanf(line + 1, "%llx %llx %llx %llx %llx", &insn, &fpcr, &n[0], &n[1], &n[2]) != 5) return 3;
        s.q[2] = n[0];
        s.q[4] = n[1];
        s.q[6] = n[2];
        s.x[1] = n[0];
        s.x[2] = n[1];
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
        printf("%llx %llx %llx %llx\n", (unsigned long long)s.q[0], (unsigned long long)s.x[0],
               (unsigned long long)s.nzcv_out, (unsigned long long)s.fpsr_out);
    }
    fflush(stdout);
    return 0;
}
