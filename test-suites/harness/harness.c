/* lsemu QEMU user-mode differential harness (runs under qemu-aarch64 -cpu cortex-a72).
 *
 * Reads `struct case_in` records from stdin until EOF; for each, maps its code at CODE_BASE
 * and its scratch buffer at SCRATCH_BASE, runs it with the given register state, and writes
 * a `struct case_out` record to stdout: the final state, or the state at the faulting
 * instruction with the signal that the fault raised.
 * `harness --epilogue` prints the address of the epilogue (the stub at the end of the code
 * jumps there) and exits. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include <asm/sigcontext.h>
#include "harness.h"

extern void run_case(const struct state *in, struct state *out);
extern void epilogue(void);
extern uint64_t host_save[24];

static sigjmp_buf jb;
static struct case_out out;
static uint32_t cur_nwords;
static uint8_t altstack[65536] __attribute__((aligned(16)));

static void handler(int sig, siginfo_t *si, void *ctx)
{
    /* Restore the host's thread pointer before any libc code runs. */
    uint64_t tp = host_save[21];
    __asm__ volatile("msr tpidr_el0, %0" ::"r"(tp));
    ucontext_t *uc = ctx;
    mcontext_t *mc = &uc->uc_mcontext;
    uint64_t pc = mc->pc;
    out.signo = sig;
    out.si_code = si->si_code;
    out.fault_addr = (uint64_t)si->si_addr;
    out.pc = pc;
    if (pc >= CODE_BASE + 4 && pc < CODE_BASE + 4 * (uint64_t)cur_nwords)
        out.fault_index = (int32_t)((pc - CODE_BASE - 4) / 4);
    else
        out.fault_index = 0x7fffffff; /* outside the sequence: reported as such */
    for (int i = 0; i < 31; i++)
        out.st.x[i] = mc->regs[i];
    out.st.sp = mc->sp;
    out.st.nzcv = mc->pstate & 0xf0000000UL;
    struct _aarch64_ctx *h = (struct _aarch64_ctx *)mc->__reserved;
    while (h->magic) {
        if (h->magic == FPSIMD_MAGIC) {
            struct fpsimd_context *f = (struct fpsimd_context *)h;
            out.st.fpsr = f->fpsr;
            out.st.fpcr = f->fpcr;
            memcpy(out.st.v, f->vregs, sizeof out.st.v);
        }
        if (h->size == 0)
            break;
        h = (struct _aarch64_ctx *)((char *)h + h->size);
    }
    siglongjmp(jb, 1);
}

static void *map_fixed(uint64_t addr, size_t len, int prot)
{
    void *p = mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)addr) {
        fprintf(stderr, "harness: cannot map %#lx\n", (unsigned long)addr);
        exit(2);
    }
    return p;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--epilogue") == 0) {
        printf("%#lx\n", (unsigned long)(uintptr_t)epilogue);
        return 0;
    }
    uint8_t *scratch = map_fixed(SCRATCH_BASE, SCRATCH_SIZE, PROT_READ | PROT_WRITE);
    uint32_t *code = map_fixed(CODE_BASE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);

    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigfillset(&sa.sa_mask);
    int sigs[] = { SIGILL, SIGSEGV, SIGBUS, SIGTRAP, SIGFPE };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);

    static struct case_in in;
    while (fread(&in, sizeof in, 1, stdin) == 1) {
        if (in.magic != MAGIC_IN || in.nwords > CODE_WORDS) {
            fprintf(stderr, "harness: bad input record\n");
            return 2;
        }
        memset(code, 0, 4096);
        memcpy(code, in.code, 4 * in.nwords);
        __builtin___clear_cache((char *)code, (char *)code + 4096);
        memcpy(scratch, in.scratch, SCRATCH_SIZE);
        cur_nwords = in.nwords;
        memset(&out, 0, sizeof out);
        out.magic = MAGIC_OUT;
        out.fault_index = -1;
        if (sigsetjmp(jb, 1) == 0) {
            run_case(&in.st, &out.st);
        } else {
            uint64_t fpcr = host_save[22];
            __asm__ volatile("msr fpcr, %0" ::"r"(fpcr));
        }
        memcpy(out.scratch, scratch, SCRATCH_SIZE);
        if (fwrite(&out, sizeof out, 1, stdout) != 1)
            return 3;
    }
    fflush(stdout);
    return 0;
}
