/* Test runner for tests/simd_fp_qemu.rs, built with aarch64-linux-gnu-gcc -static and run
 * under qemu-aarch64 (the oracle). stdin: records of 136 bytes
 *   u32 insn, u32 fpcr, u8 v[8][16]
 * For each record: load V0-V7, set FPCR, clear FPSR, execute the instruction word (written
 * into an executable page followed by RET), then write 136 bytes to stdout:
 *   u8 v[8][16], u32 fpsr, u32 sigill (1 when the instruction raised SIGILL; then the
 *   registers are the inputs). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <signal.h>
#include <setjmp.h>

static sigjmp_buf jb;
static void on_sigill(int sig) { (void)sig; siglongjmp(jb, 1); }

struct st { uint8_t v[8][16]; uint32_t fpcr; uint32_t fpsr; };
extern void run_one(struct st *s, void *code);
__asm__(
    ".text\n.global run_one\nrun_one:\n"
    "  stp x29, x30, [sp, #-32]!\n"
    "  str x0, [sp, #16]\n"
    "  ldp q0, q1, [x0]\n  ldp q2, q3, [x0, #32]\n  ldp q4, q5, [x0, #64]\n  ldp q6, q7, [x0, #96]\n"
    "  ldr w9, [x0, #128]\n  msr fpcr, x9\n  msr fpsr, xzr\n"
    "  blr x1\n"
    "  mrs x9, fpsr\n"
    "  msr fpcr, xzr\n"
    "  ldr x0, [sp, #16]\n"
    "  str w9, [x0, #132]\n"
    "  stp q0, q1, [x0]\n  stp q2, q3, [x0, #32]\n  stp q4, q5, [x0, #64]\n  stp q6, q7, [x0, #96]\n"
    "  ldp x29, x30, [sp], #32\n  ret\n");

int main(void) {
    size_t pagesz = 1 << 20;
    uint32_t *code = mmap(0, pagesz, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) return 2;
    size_t slots = pagesz / 8, slot = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigill;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGILL, &sa, 0);
    uint8_t rec[136];
    while (fread(rec, 1, 136, stdin) == 136) {
        struct st s;
        uint32_t insn;
        memcpy(&insn, rec, 4);
        memcpy(&s.fpcr, rec + 4, 4);
        memcpy(s.v, rec + 8, 128);
        s.fpsr = 0;
        uint32_t *p = code + 2 * (slot++ % slots);
        p[0] = insn;
        p[1] = 0xd65f03c0; /* ret */
        __builtin___clear_cache((char *)p, (char *)(p + 2));
        uint32_t ill = 0;
        if (sigsetjmp(jb, 1) == 0) {
            run_one(&s, p);
        } else {
            ill = 1;
            memcpy(s.v, rec + 8, 128);
            s.fpsr = 0;
            __asm__ volatile("msr fpcr, xzr\n\tmsr fpsr, xzr");
        }
        uint8_t out[136];
        memcpy(out, s.v, 128);
        memcpy(out + 128, &s.fpsr, 4);
        memcpy(out + 132, &ill, 4);
        fwrite(out, 1, 136, stdout);
    }
    return 0;
}
