/* Exception model: EL3 -> EL2 -> EL1 -> EL0 and back through ERET/SVC/HVC/SMC, checking
 * the target EL, the vector offset (0x000/0x200/0x400 + 0x80 per kind), ESR, ELR and SPSR
 * of synchronous exceptions, traps (HCR_EL2.TSC/TWI/TVM/TRVM/TGE, CPACR/CPTR FP traps,
 * SCTLR_EL1.UMA, nTWI), illegal exception returns, virtual IRQ/SError, a few ID
 * registers and the EL1 physical timer's CTL/TVAL.
 * Expected values are worked out from the Arm ARM (AArch64.TakeException and the
 * instructions' pseudo-code); each is written next to its test.
 *
 * Mechanism: run_at(spsr, fn) ERETs from EL3 to the EL/SP in spsr and calls fn there;
 * fn ends with SMC #0xfff (SVC #0xfff at EL0, forwarded by EL1) which brings EL3 back to
 * run_at's caller. Every vector records (EL, offset, ESR, ELR, SPSR) in g_rec and
 * returns to g_resume (set by the TRAP macro to the instruction after the one tested),
 * with SPSR.IL cleared and, for asynchronous exceptions, DAIF masked.
 * Output goes through semihosting at EL3 only. */
#include "semihost.h"

struct rec { uint64_t n, el, off, esr, elr, spsr, far; };
volatile struct rec g_rec;
volatile uint64_t g_resume, g_addr, g_val;
uint64_t g_el3_ctx[13];
static uint64_t stack_el2[1024] __attribute__((aligned(16)));
static uint64_t stack_el1[1024] __attribute__((aligned(16)));
static uint64_t stack_el0[1024] __attribute__((aligned(16)));

void run_at(uint64_t spsr, void (*fn)(void));
extern char vectors_el1[], vectors_el2[], vectors_el3[];

__asm__(
    ".macro VENT el, off\n"
    "    .balign 0x80\n"
    "    stp x0, x1, [sp, #-32]!\n"
    "    stp x2, x3, [sp, #16]\n"
    "    mov x0, #\\off\n"
    "    b common_el\\el\n"
    ".endm\n"
    ".macro VTABLE el\n"
    "    .balign 0x800\n"
    "    .global vectors_el\\el\n"
    "vectors_el\\el:\n"
    "    VENT \\el, 0x000\n VENT \\el, 0x080\n VENT \\el, 0x100\n VENT \\el, 0x180\n"
    "    VENT \\el, 0x200\n VENT \\el, 0x280\n VENT \\el, 0x300\n VENT \\el, 0x380\n"
    "    VENT \\el, 0x400\n VENT \\el, 0x480\n VENT \\el, 0x500\n VENT \\el, 0x580\n"
    "    VENT \\el, 0x600\n VENT \\el, 0x680\n VENT \\el, 0x700\n VENT \\el, 0x780\n"
    ".endm\n"
    ".macro COMMON el\n"
    "common_el\\el:\n"
    "    mrs x1, esr_el\\el\n"
    "    tst x0, #0x180\n"            /* asynchronous: never a return request */
    "    b.ne 2f\n"
    "    and x3, x1, #0xffff\n"
    "    cmp x3, #0xfff\n"
    "    b.ne 2f\n"
    "    lsr x2, x1, #26\n"
    "    .if \\el == 3\n"
    "    cmp x2, #0x17\n"             /* SMC #0xfff: back to run_at's caller */
    "    b.eq el3_return\n"
    "    .else\n"
    "    cmp x2, #0x15\n"             /* SVC #0xfff from EL0 */
    "    b.eq 3f\n"
    "    cmp x2, #0x17\n"             /* SMC #0xfff trapped by HCR_EL2.TSC */
    "    b.eq 3f\n"
    "    b 2f\n"
    "3:  mov x0, #0\n"
    "    smc #0xfff\n"
    "    .endif\n"
    "2:  adrp x2, g_rec\n"
    "    add x2, x2, :lo12:g_rec\n"
    "    ldr x3, [x2]\n"
    "    add x3, x3, #1\n"
    "    str x3, [x2]\n"
    "    mov x3, #\\el\n"
    "    str x3, [x2, #8]\n"
    "    str x0, [x2, #16]\n"
    "    str x1, [x2, #24]\n"
    "    mrs x3, elr_el\\el\n"
    "    str x3, [x2, #32]\n"
    "    mrs x3, spsr_el\\el\n"
    "    str x3, [x2, #40]\n"
    "    mrs x3, far_el\\el\n"
    "    str x3, [x2, #48]\n"
    "    .if \\el == 1\n"
    "    lsr x2, x1, #26\n"           /* software step: stop stepping */
    "    cmp x2, #0x32\n"
    "    b.ne 5f\n"
    "    msr mdscr_el1, xzr\n"
    "5:  cmp x2, #0x30\n"            /* breakpoint: disable it */
    "    b.ne 7f\n"
    "    msr dbgbcr0_el1, xzr\n"
    "7:  cmp x2, #0x34\n"            /* watchpoint: disable it */
    "    b.ne 8f\n"
    "    msr dbgwcr0_el1, xzr\n"
    "8:\n"
    "    .endif\n"
    "    adrp x2, g_resume\n"
    "    ldr x3, [x2, :lo12:g_resume]\n"
    "    cbz x3, 6f\n"                /* g_resume = 0: return to ELR */
    "    msr elr_el\\el, x3\n"
    "6:\n"
    "    mrs x3, spsr_el\\el\n"
    "    bic x3, x3, #(1 << 20)\n"
    "    tst x0, #0x180\n"
    "    b.eq 4f\n"
    "    orr x3, x3, #0x3c0\n"
    "4:  msr spsr_el\\el, x3\n"
    "    ldp x2, x3, [sp, #16]\n"
    "    ldp x0, x1, [sp], #32\n"
    "    eret\n"
    ".endm\n"
    "    .text\n"
    "    COMMON 1\n"
    "    COMMON 2\n"
    "    COMMON 3\n"
    "el3_return:\n"
    "    adrp x0, g_el3_ctx\n"
    "    add x0, x0, :lo12:g_el3_ctx\n"
    "    ldp x19, x20, [x0]\n"
    "    ldp x21, x22, [x0, #16]\n"
    "    ldp x23, x24, [x0, #32]\n"
    "    ldp x25, x26, [x0, #48]\n"
    "    ldp x27, x28, [x0, #64]\n"
    "    ldp x29, x30, [x0, #80]\n"
    "    ldr x1, [x0, #96]\n"
    "    mov sp, x1\n"
    "    ret\n"
    "    .global run_at\n"
    "run_at:\n"
    "    adrp x9, g_el3_ctx\n"
    "    add x9, x9, :lo12:g_el3_ctx\n"
    "    stp x19, x20, [x9]\n"
    "    stp x21, x22, [x9, #16]\n"
    "    stp x23, x24, [x9, #32]\n"
    "    stp x25, x26, [x9, #48]\n"
    "    stp x27, x28, [x9, #64]\n"
    "    stp x29, x30, [x9, #80]\n"
    "    mov x10, sp\n"
    "    str x10, [x9, #96]\n"
    "    msr spsr_el3, x0\n"
    "    adr x10, lower_entry\n"
    "    msr elr_el3, x10\n"
    "    mov x19, x1\n"
    "    and x20, x0, #0xc\n"
    "    eret\n"
    "lower_entry:\n"
    "    blr x19\n"
    "    mov x0, #0\n"
    "    cbz x20, 1f\n"
    "    smc #0xfff\n"
    "1:  svc #0xfff\n"
    "    VTABLE 1\n"
    "    VTABLE 2\n"
    "    VTABLE 3\n");

/* Runs `insns` with g_addr = address of its first instruction and g_resume = the address
 * after it; X0 = 0 (no PSCI function for a firmware that watches SMC), NZCV = 0. */
#define TRAP(insns)                                                              \
    __asm__ volatile("adr x9, 1f\n adrp x10, g_resume\n str x9, [x10, :lo12:g_resume]\n" \
                     "adr x9, 0f\n adrp x10, g_addr\n str x9, [x10, :lo12:g_addr]\n"     \
                     "mov x0, #0\n msr nzcv, xzr\n"                               \
                     "0: " insns "\n1:\n"                                         \
                     ::: "x0", "x1", "x9", "x10", "memory", "cc")

#define SYSREG_W(r, v) __asm__ volatile("msr " #r ", %0\n isb" ::"r"((uint64_t)(v)) : "memory")
#define SYSREG_R(r) ({ uint64_t _v; __asm__ volatile("mrs %0, " #r : "=r"(_v)::"memory"); _v; })

#define SCR_BASE 0x531ul       /* NS, bits 5:4 RES1, HCE, RW */
#define HCR_BASE (1ul << 31)   /* RW */
#define SPSR_EL0T 0x3c0ul
#define SPSR_EL1T 0x3c4ul
#define SPSR_EL1H 0x3c5ul
#define SPSR_EL2H 0x3c9ul

static void reset_state(void)
{
    SYSREG_W(scr_el3, SCR_BASE);
    SYSREG_W(hcr_el2, HCR_BASE);
    SYSREG_W(sctlr_el2, 0x30c50830);
    SYSREG_W(sctlr_el1, 0x30d00800);   /* nTWI = nTWE = UMA = UCI = DZE = 0 */
    SYSREG_W(cpacr_el1, 3ul << 20);
    SYSREG_W(cptr_el2, 0x33ff);
    SYSREG_W(cptr_el3, 0);
    SYSREG_W(mdcr_el2, 6);
    SYSREG_W(sp_el2, (uint64_t)&stack_el2[1024]);
    SYSREG_W(sp_el1, (uint64_t)&stack_el1[1024]);
    SYSREG_W(sp_el0, (uint64_t)&stack_el0[1024]);
    g_rec.n = 0;
}

/* One line per test: PASS, or FAIL with the first field that differs. */
static void expect(const char *name, uint64_t el, uint64_t off, uint64_t esr, uint64_t elr, uint64_t spsr)
{
    const char *what = 0;
    uint64_t got = 0, want = 0;
    if (g_rec.n != 1) { what = "count"; got = g_rec.n; want = 1; }
    else if (g_rec.el != el) { what = "el"; got = g_rec.el; want = el; }
    else if (g_rec.off != off) { what = "vector offset"; got = g_rec.off; want = off; }
    else if (esr != ~0ul && g_rec.esr != esr) { what = "esr"; got = g_rec.esr; want = esr; }
    else if (g_rec.elr != elr) { what = "elr-addr"; got = g_rec.elr - g_addr; want = elr - g_addr; }
    else if (spsr != ~0ul && g_rec.spsr != spsr) { what = "spsr"; got = g_rec.spsr; want = spsr; }
    if (what) {
        sh_printf("FAIL %s: %s got %lx want %lx (n %lu el %lu off %lx esr %lx elr %lx spsr %lx)\n", name, what, got, want,
                  g_rec.n, g_rec.el, g_rec.off, g_rec.esr, g_rec.elr - g_addr, g_rec.spsr);
        sh_failures++;
    } else {
        sh_printf("PASS %s\n", name);
    }
}

/* ---- test bodies (run at the EL given to run_at) ---------------------------------- */
static void t_svc42(void) { TRAP("svc #0x42"); }
static void t_svc1(void) { TRAP("svc #1"); }
static void t_hvc123(void) { TRAP("hvc #0x123"); }
static void t_hvc3(void) { TRAP("hvc #3"); }
static void t_smc77(void) { TRAP("smc #0x77"); }
static void t_smc55(void) { TRAP("smc #0x55"); }
static void t_brk(void) { TRAP("brk #0x99"); }
static void t_wfi(void) { TRAP("wfi"); }
static void t_mrs_fpcr(void) { TRAP("mrs x1, fpcr"); }
static void t_fmov(void) { TRAP("fmov s0, wzr"); }
static void t_msr_sctlr(void) { TRAP("msr sctlr_el1, x1"); }
static void t_mrs_tcr(void) { TRAP("mrs x1, tcr_el1"); }
static void t_mrs_scr(void) { TRAP("mrs x1, scr_el3"); }
static void t_eret(void) { TRAP("eret"); }
static void t_daifset(void) { TRAP("msr daifset, #2"); }
static void t_daifclr_i(void) { TRAP("msr daifclr, #2"); }
static void t_daifclr_a(void) { TRAP("msr daifclr, #4"); }
static void t_mrs_sp_el0(void) { TRAP("mrs x1, sp_el0"); }
static void t_unknown(void) { TRAP("mrs x1, s3_0_c15_c0_0"); }
static void t_mrs_isar0(void) { TRAP("mrs x1, id_aa64isar0_el1"); }
static void t_mrs_ctr(void) { TRAP("mrs x1, ctr_el0"); }
static void t_mrs_cntvct(void) { TRAP("mrs x1, cntvct_el0"); }
static void t_mrs_cpacr(void) { TRAP("mrs x1, cpacr_el1"); }
static void t_mrs_pmcr(void) { TRAP("mrs x1, pmcr_el0"); }
static void t_mrs_mdscr(void) { TRAP("mrs x1, mdscr_el1"); }
static void t_mrs_daif(void) { TRAP("mrs x1, daif"); }
static void t_step_target(void) { g_val = 1; }
static volatile uint64_t g_watched[2] __attribute__((aligned(16)));
/* The handler returns to the store itself (g_resume = 0), which then completes. */
static void t_watch_store(void)
{
    __asm__ volatile("adrp x10, g_resume\n str xzr, [x10, :lo12:g_resume]\n"
                     "adr x9, 0f\n adrp x10, g_addr\n str x9, [x10, :lo12:g_addr]\n"
                     "adrp x0, g_watched\n add x0, x0, :lo12:g_watched\n mov w1, #0x5a\n"
                     "0: strb w1, [x0, #4]\n" ::: "x0", "x1", "x9", "x10", "memory");
}
static void t_nzcv(void) { g_val = SYSREG_R(nzcv); }
static void t_currentel(void) { g_val = SYSREG_R(CurrentEL); }
static void t_spsel(void)
{
    __asm__ volatile("msr spsel, #0\n mrs x9, spsel\n msr spsel, #1\n adrp x10, g_val\n str x9, [x10, :lo12:g_val]" ::: "x9", "x10", "memory");
}
/* ERET at EL1 to EL2 (higher): illegal return. PSTATE.IL = 1 at the target, whose first
 * instruction takes the Illegal Execution state exception. */
static void t_illegal_eret(void)
{
    __asm__ volatile("adr x9, 1f\n adrp x10, g_resume\n str x9, [x10, :lo12:g_resume]\n"
                     "adr x9, 0f\n adrp x10, g_addr\n str x9, [x10, :lo12:g_addr]\n"
                     "msr elr_el1, x9\n mov x9, #0x3c9\n msr spsr_el1, x9\n isb\n eret\n"
                     "0: nop\n1:\n" ::: "x9", "x10", "memory", "cc");
}

static void test_exceptions(void)
{
    /* SVC from EL0: lower EL, AArch64 -> VBAR_EL1 + 0x400; ESR = EC 0x15 << 26 | IL |
     * imm16 = 0x56000042; ELR = next instruction; SPSR = EL0t with DAIF masked. */
    reset_state();
    run_at(SPSR_EL0T, t_svc42);
    expect("svc el0 -> el1", 1, 0x400, 0x56000042, g_addr + 4, 0x3c0);

    /* SVC at EL1 with SP_EL1: current EL, SPx -> +0x200; with SP_EL0 -> +0x000. */
    reset_state();
    run_at(SPSR_EL1H, t_svc1);
    expect("svc el1h -> el1 spx", 1, 0x200, 0x56000001, g_addr + 4, 0x3c5);
    reset_state();
    run_at(SPSR_EL1T, t_svc1);
    expect("svc el1t -> el1 sp0", 1, 0x000, 0x56000001, g_addr + 4, 0x3c4);

    /* HCR_EL2.TGE: SVC from EL0 goes to EL2. */
    reset_state();
    SYSREG_W(hcr_el2, HCR_BASE | 1ul << 27);
    run_at(SPSR_EL0T, t_svc42);
    expect("svc el0 tge -> el2", 2, 0x400, 0x56000042, g_addr + 4, 0x3c0);

    /* HVC from EL1: EC 0x16 (0x5a000000 | imm16) to EL2, next instruction. */
    reset_state();
    run_at(SPSR_EL1H, t_hvc123);
    expect("hvc el1 -> el2", 2, 0x400, 0x5a000123, g_addr + 4, 0x3c5);
    reset_state();
    run_at(SPSR_EL2H, t_hvc3);
    expect("hvc el2 -> el2", 2, 0x200, 0x5a000003, g_addr + 4, 0x3c9);
    /* SCR_EL3.HCE = 0: HVC is UNDEFINED (EC 0, IL 1), ELR = the HVC. */
    reset_state();
    SYSREG_W(scr_el3, SCR_BASE & ~0x100ul);
    run_at(SPSR_EL1H, t_hvc123);
    expect("hvc hce=0 undefined", 1, 0x200, 0x02000000, g_addr, 0x3c5);
    /* (HVC at EL3 is taken to EL3 by the architecture, AArch64.CallHypervisor, but
     * qemu-system-aarch64 7.2 takes it to EL2: checked by lsemu's unit tests only.) */

    /* SMC from EL1: EC 0x17 to EL3, next instruction. */
    reset_state();
    run_at(SPSR_EL1H, t_smc77);
    expect("smc el1 -> el3", 3, 0x400, 0x5e000077, g_addr + 4, 0x3c5);
    /* HCR_EL2.TSC: trapped to EL2 with EC 0x17, preferred return = the SMC itself. */
    reset_state();
    SYSREG_W(hcr_el2, HCR_BASE | 1ul << 19);
    run_at(SPSR_EL1H, t_smc55);
    expect("smc el1 tsc -> el2", 2, 0x400, 0x5e000055, g_addr, 0x3c5);
    /* SMC at EL0: UNDEFINED. */
    reset_state();
    run_at(SPSR_EL0T, t_smc55);
    expect("smc el0 undefined", 1, 0x400, 0x02000000, g_addr, 0x3c0);

    /* BRK: EC 0x3c, ISS imm16, ELR = the BRK. */
    reset_state();
    run_at(SPSR_EL1H, t_brk);
    expect("brk el1", 1, 0x200, 0xf2000099, g_addr, 0x3c5);

    /* WFI at EL0 with SCTLR_EL1.nTWI = 0: EC 0x01, ISS CV=1 COND=0xe TI=0. */
    reset_state();
    run_at(SPSR_EL0T, t_wfi);
    expect("wfi el0 ntwi=0 -> el1", 1, 0x400, 0x07e00000, g_addr, 0x3c0);
    /* HCR_EL2.TWI: WFI at EL1 to EL2. */
    reset_state();
    SYSREG_W(hcr_el2, HCR_BASE | 1ul << 13);
    run_at(SPSR_EL1H, t_wfi);
    expect("wfi el1 twi -> el2", 2, 0x400, 0x07e00000, g_addr, 0x3c5);

    /* FP/AdvSIMD traps: EC 0x07, ISS CV=1 COND=0xe -> ESR 0x1fe00000. */
    reset_state();
    SYSREG_W(cpacr_el1, 0);
    run_at(SPSR_EL1H, t_mrs_fpcr);
    expect("fp cpacr fpen=00 mrs fpcr -> el1", 1, 0x200, 0x1fe00000, g_addr, 0x3c5);
    reset_state();
    SYSREG_W(cpacr_el1, 0);
    run_at(SPSR_EL1H, t_fmov);
    expect("fp cpacr fpen=00 fmov -> el1", 1, 0x200, 0x1fe00000, g_addr, 0x3c5);
    reset_state();
    SYSREG_W(cpacr_el1, 1ul << 20);
    run_at(SPSR_EL0T, t_fmov);
    expect("fp cpacr fpen=01 el0 -> el1", 1, 0x400, 0x1fe00000, g_addr, 0x3c0);
    reset_state();
    SYSREG_W(cptr_el2, 0x33ff | 1ul << 10);
    run_at(SPSR_EL1H, t_fmov);
    expect("fp cptr_el2.tfp -> el2", 2, 0x400, 0x1fe00000, g_addr, 0x3c5);
    reset_state();
    SYSREG_W(cptr_el3, 1ul << 10);
    run_at(SPSR_EL2H, t_mrs_fpcr);
    expect("fp cptr_el3.tfp el2 -> el3", 3, 0x400, 0x1fe00000, g_addr, 0x3c9);
    /* CPACR wins over CPTR_EL3 at EL1. */
    reset_state();
    SYSREG_W(cpacr_el1, 0);
    SYSREG_W(cptr_el3, 1ul << 10);
    run_at(SPSR_EL1H, t_mrs_fpcr);
    expect("fp cpacr before cptr_el3", 1, 0x200, 0x1fe00000, g_addr, 0x3c5);
    /* HCR_EL2.TGE with CPACR trapping EL0: to EL2 as an Uncategorized exception. */
    reset_state();
    SYSREG_W(cpacr_el1, 0);
    SYSREG_W(hcr_el2, HCR_BASE | 1ul << 27);
    run_at(SPSR_EL0T, t_fmov);
    expect("fp el0 tge -> el2 uncategorized", 2, 0x400, 0x02000000, g_addr, 0x3c0);

    /* HCR_EL2.TVM: MSR SCTLR_EL1, X1 traps, EC 0x18, ISS Op0=3 Op2=0 Op1=0 CRn=1 Rt=1
     * CRm=0 Dir=0 = 0x300420. TRVM: MRS X1, TCR_EL1 = Op0=3 Op2=2 CRn=2 Rt=1 Dir=1. */
    reset_state();
    SYSREG_W(hcr_el2, HCR_BASE | 1ul << 26);
    run_at(SPSR_EL1H, t_msr_sctlr);
    expect("hcr.tvm msr sctlr_el1 -> el2", 2, 0x400, 0x62300420, g_addr, 0x3c5);
    reset_state();
    SYSREG_W(hcr_el2, HCR_BASE | 1ul << 30);
    run_at(SPSR_EL1H, t_mrs_tcr);
    expect("hcr.trvm mrs tcr_el1 -> el2", 2, 0x400, 0x62340821, g_addr, 0x3c5);

    /* Registers of a higher EL, unknown encodings, SP_EL0 while SPSel = 0: UNDEFINED. */
    reset_state();
    run_at(SPSR_EL1H, t_mrs_scr);
    expect("mrs scr_el3 at el1 undefined", 1, 0x200, 0x02000000, g_addr, 0x3c5);
    reset_state();
    run_at(SPSR_EL2H, t_mrs_scr);
    expect("mrs scr_el3 at el2 undefined", 2, 0x200, 0x02000000, g_addr, 0x3c9);
    reset_state();
    run_at(SPSR_EL1H, t_unknown);
    expect("mrs s3_0_c15_c0_0 undefined", 1, 0x200, 0x02000000, g_addr, 0x3c5);
    reset_state();
    run_at(SPSR_EL1T, t_mrs_sp_el0);
    expect("mrs sp_el0 with spsel=0 undefined", 1, 0x000, 0x02000000, g_addr, 0x3c4);

    /* EL0: ERET is UNDEFINED; MSR DAIFSet with SCTLR_EL1.UMA = 0 traps with ISS Op0=0
     * Op2=6 Op1=3 CRn=4 Rt=31 CRm=2 Dir=0 = 0xcd3e4. */
    reset_state();
    run_at(SPSR_EL0T, t_eret);
    expect("eret at el0 undefined", 1, 0x400, 0x02000000, g_addr, 0x3c0);
    reset_state();
    run_at(SPSR_EL0T, t_daifset);
    /* (qemu-system-aarch64 7.2 swaps the Op1 and Op2 fields of this ISS; they are
     * compared by lsemu's unit tests only.) */
    g_rec.esr &= ~(0x3ful << 14);
    expect("msr daifset el0 uma=0 -> el1", 1, 0x400, 0x620cd3e4 & ~(0x3ful << 14), g_addr, 0x3c0);

    /* More EC 0x18 traps; ISS = Op0<<20 | Op2<<17 | Op1<<14 | CRn<<10 | Rt<<5 | CRm<<1 |
     * Dir, with Rt = 1 and Dir = 1 (MRS) in all of them. */
    reset_state();
    SYSREG_W(hcr_el2, HCR_BASE | 1ul << 18);
    run_at(SPSR_EL1H, t_mrs_isar0); /* 3,0,c0,c6,0 */
    expect("hcr.tid3 mrs id_aa64isar0_el1 -> el2", 2, 0x400, 0x6230002d, g_addr, 0x3c5);
    reset_state();
    run_at(SPSR_EL0T, t_mrs_ctr); /* 3,3,c0,c0,1; SCTLR_EL1.UCT = 0 */
    expect("mrs ctr_el0 el0 uct=0 -> el1", 1, 0x400, 0x6232c021, g_addr, 0x3c0);
    reset_state();
    SYSREG_W(cntkctl_el1, 0);
    run_at(SPSR_EL0T, t_mrs_cntvct); /* 3,3,c14,c0,2; CNTKCTL_EL1.EL0VCTEN = 0 */
    expect("mrs cntvct_el0 el0 -> el1", 1, 0x400, 0x6234f821, g_addr, 0x3c0);
    reset_state();
    SYSREG_W(cptr_el2, 0x33ff | 1ul << 31);
    run_at(SPSR_EL1H, t_mrs_cpacr); /* 3,0,c1,c0,2; CPTR_EL2.TCPAC */
    expect("cptr_el2.tcpac mrs cpacr_el1 -> el2", 2, 0x400, 0x62340421, g_addr, 0x3c5);
    reset_state();
    SYSREG_W(pmuserenr_el0, 0);
    run_at(SPSR_EL0T, t_mrs_pmcr); /* 3,3,c9,c12,0; PMUSERENR_EL0.EN = 0 */
    expect("mrs pmcr_el0 el0 -> el1", 1, 0x400, 0x6230e439, g_addr, 0x3c0);
    reset_state();
    SYSREG_W(mdcr_el2, 6 | 1ul << 9);
    run_at(SPSR_EL1H, t_mrs_mdscr); /* 2,0,c0,c2,2; MDCR_EL2.TDA */
    expect("mdcr_el2.tda mrs mdscr_el1 -> el2", 2, 0x400, 0x62240025, g_addr, 0x3c5);
    reset_state();
    run_at(SPSR_EL0T, t_mrs_daif); /* 3,3,c4,c2,1; SCTLR_EL1.UMA = 0 */
    expect("mrs daif el0 uma=0 -> el1", 1, 0x400, 0x6232d025, g_addr, 0x3c0);
    /* SCR_EL3.TWI: WFI at EL2 to EL3. */
    reset_state();
    SYSREG_W(scr_el3, SCR_BASE | 1ul << 12);
    run_at(SPSR_EL2H, t_wfi);
    expect("wfi el2 scr.twi -> el3", 3, 0x400, 0x07e00000, g_addr, 0x3c9);

    /* Software step: MDSCR_EL1.SS = 1 (OS lock cleared), ERET from EL3 to EL0 with
     * SPSR.SS = 1. EL0 executes one instruction (run_at's BLR to the test body), then
     * takes the Software Step exception to EL1: EC 0x32 (lower EL), ISS ISV = 1, EX = 0,
     * IFSC = 0x22 -> ESR 0xcb000022; ELR = the body's first instruction; SPSR.SS = 0. */
    reset_state();
    SYSREG_W(oslar_el1, 0);
    SYSREG_W(mdscr_el1, 1);
    g_resume = 0;
    g_addr = (uint64_t)t_step_target;
    run_at(SPSR_EL0T | 1ul << 21, t_step_target);
    expect("software step el0 -> el1", 1, 0x400, 0xcb000022, g_addr, 0x3c0);
    check_u64("stepped body ran after the step", g_val, 1);

    /* Hardware breakpoint 0 on the body's first instruction: DBGBCR0_EL1 = E | PMC 0b11
     * | BAS 0b1111, MDSCR_EL1.MDE. At EL0: Breakpoint exception to EL1, EC 0x30, IFSC
     * 0x22 -> ESR 0xc2000022, ELR = the breakpointed instruction. */
    reset_state();
    SYSREG_W(oslar_el1, 0);
    SYSREG_W(mdscr_el1, 1ul << 15);
    SYSREG_W(dbgbvr0_el1, (uint64_t)t_step_target);
    SYSREG_W(dbgbcr0_el1, 1 | 3 << 1 | 0xf << 5);
    g_resume = 0;
    g_val = 0;
    g_addr = (uint64_t)t_step_target;
    run_at(SPSR_EL0T, t_step_target);
    expect("hw breakpoint el0 -> el1", 1, 0x400, 0xc2000022, g_addr, 0x3c0);
    check_u64("breakpointed body ran after the exception", g_val, 1);
    SYSREG_W(mdscr_el1, 0);

    /* Hardware watchpoint 0 on stores to the doubleword g_watched[0] (DBGWCR0_EL1 = E |
     * PAC 0b10 (EL0) | LSC 0b10 | BAS 0xff): an EL0 STRB to byte 4 raises a Watchpoint
     * exception to EL1, EC 0x34, WnR = 1, DFSC 0x22 -> ESR 0xd2000062, FAR = the byte
     * written, ELR = the store, which then completes once the watchpoint is disabled. */
    reset_state();
    SYSREG_W(oslar_el1, 0);
    SYSREG_W(mdscr_el1, 1ul << 15);
    SYSREG_W(dbgwvr0_el1, (uint64_t)&g_watched[0]);
    SYSREG_W(dbgwcr0_el1, 1 | 2 << 1 | 2 << 3 | 0xff << 5);
    g_watched[0] = 0;
    run_at(SPSR_EL0T, t_watch_store);
    expect("hw watchpoint el0 store -> el1", 1, 0x400, 0xd2000062, g_addr, 0x3c0);
    check_u64("watchpoint far", g_rec.far, (uint64_t)&g_watched[0] + 4);
    check_u64("watched store completed after", g_watched[0], 0x5a00000000ul);
    SYSREG_W(mdscr_el1, 0);

    /* Illegal ERET (EL1 -> EL2): EL unchanged, PSTATE.IL = 1, PC = ELR; the instruction
     * there takes EC 0x0e to EL1 +0x200; SPSR = IL | DAIF from the SPSR | EL1h. */
    reset_state();
    run_at(SPSR_EL1H, t_illegal_eret);
    expect("illegal eret -> ec 0x0e", 1, 0x200, 0x3a000000, g_addr, 0x1003c5);

    /* Virtual IRQ (HCR_EL2.IMO + VI) at EL1 once PSTATE.I is cleared: current EL, SPx,
     * IRQ -> +0x280; ELR = the instruction after the MSR. */
    reset_state();
    SYSREG_W(hcr_el2, HCR_BASE | 1ul << 4 | 1ul << 7);
    run_at(SPSR_EL1H, t_daifclr_i);
    expect("virtual irq at el1", 1, 0x280, ~0ul, g_addr + 4, 0x345);
    /* Virtual SError (AMO + VSE): +0x380, ESR EC 0x2f with IL; taking it clears VSE. */
    reset_state();
    SYSREG_W(hcr_el2, HCR_BASE | 1ul << 5 | 1ul << 8);
    run_at(SPSR_EL1H, t_daifclr_a);
    expect("virtual serror at el1", 1, 0x380, 0xbe000000, g_addr + 4, 0x2c5);
    check_u64("virtual serror clears hcr.vse", SYSREG_R(hcr_el2) & (1ul << 8), 0);
}

static void test_state(void)
{
    /* ERET restores NZCV; CurrentEL and SPSel read back. */
    reset_state();
    run_at(0x600003c5ul, t_nzcv);
    check_u64("eret restores nzcv", g_val, 0x60000000);
    run_at(SPSR_EL1H, t_currentel);
    check_u64("currentel at el1", g_val, 4);
    run_at(SPSR_EL2H, t_currentel);
    check_u64("currentel at el2", g_val, 8);
    run_at(SPSR_EL1H, t_spsel);
    check_u64("msr spsel #0 at el1", g_val, 0);
    check_u64("currentel at el3", SYSREG_R(CurrentEL), 12);
    check_u64("no stray exceptions", g_rec.n, 0);
}

static void test_id_and_timer(void)
{
    /* Cortex-A72 r0p3 identification (TRM chapter 4). */
    check_u64("midr_el1", SYSREG_R(midr_el1), 0x410fd083);
    check_u64("ctr_el0", SYSREG_R(ctr_el0), 0x8444c004);
    check_u64("dczid_el0", SYSREG_R(dczid_el0), 4);
    check_u64("clidr_el1", SYSREG_R(clidr_el1), 0x0a200023);
    SYSREG_W(csselr_el1, 0);
    check_u64("ccsidr l1d", SYSREG_R(ccsidr_el1), 0x701fe00a);
    SYSREG_W(csselr_el1, 1);
    check_u64("ccsidr l1i", SYSREG_R(ccsidr_el1), 0x201fe012);
    SYSREG_W(csselr_el1, 2);
    check_u64("ccsidr l2", SYSREG_R(ccsidr_el1), 0x707fe07a);
    check_u64("id_aa64isar0_el1", SYSREG_R(id_aa64isar0_el1), 0x00011120);
    check_u64("id_aa64mmfr0_el1", SYSREG_R(id_aa64mmfr0_el1), 0x00001124);
    check_u64("id_aa64dfr0_el1", SYSREG_R(id_aa64dfr0_el1), 0x10305106);

    /* EL1 physical timer: CVAL = 0 is always reached, so ISTATUS = 1 once enabled. */
    SYSREG_W(cntp_cval_el0, 0);
    SYSREG_W(cntp_ctl_el0, 1);
    check_u64("cntp_ctl enable istatus", SYSREG_R(cntp_ctl_el0), 5);
    SYSREG_W(cntp_ctl_el0, 3);
    check_u64("cntp_ctl imask keeps istatus", SYSREG_R(cntp_ctl_el0), 7);
    /* TVAL = 0x7fffffff: the compare value is far ahead, ISTATUS = 0. */
    SYSREG_W(cntp_tval_el0, 0x7fffffff);
    check_u64("cntp_ctl after tval", SYSREG_R(cntp_ctl_el0), 3);
    SYSREG_W(cntp_ctl_el0, 0);
    check_u64("cntp_ctl disabled", SYSREG_R(cntp_ctl_el0), 0);
}

int main(void)
{
    SYSREG_W(vbar_el3, (uint64_t)vectors_el3);
    SYSREG_W(vbar_el2, (uint64_t)vectors_el2);
    SYSREG_W(vbar_el1, (uint64_t)vectors_el1);
    test_exceptions();
    test_state();
    test_id_and_timer();
    return sh_failures;
}
