/* The AArch64 virtual memory system seen from software: stage-1 translation at EL3, EL2
 * and EL1/EL0, stage 2 under EL2, faults (translation, access flag, permission,
 * alignment, stage 2, stage 2 on a stage-1 walk) with their ESR/FAR/HPFAR values, TLBI
 * after changing a mapping, and AT/PAR_EL1.
 *
 * Runs from EL3 with the MMU off, drops to EL2 (Non-secure) and EL1/EL0. Every value
 * printed must be identical under lsemu and qemu-system-aarch64 (-M virt,secure=on,
 * virtualization=on -cpu cortex-a72); the PASS/FAIL checks carry values worked out by
 * hand from the Arm ARM (ESR_ELx ISS encodings, PAR_EL1 formats).
 * All memory used lies in 0x8000_0000..0xC000_0000 (the program image and its .bss). */
#include "semihost.h"

typedef uint64_t u64;

/* ---- descriptors (Arm ARM D5.3) ---- */
#define D_TABLE 3ul
#define D_PAGE 3ul
#define D_BLOCK 1ul
#define D_AF (1ul << 10)
#define D_NG (1ul << 11)
#define D_SH_IS (3ul << 8)
#define D_AP_EL0 (1ul << 6)
#define D_AP_RO (1ul << 7)
#define D_NS (1ul << 5)
#define D_PXN (1ul << 53)
#define D_UXN (1ul << 54)
#define D_ATTR(i) ((u64)(i) << 2)
/* stage 2 */
#define S2_RD (1ul << 6)
#define S2_WR (1ul << 7)
#define S2_WB (0xful << 2)
#define S2_XN (1ul << 54)

/* MAIR: attr0 Device-nGnRnE, attr1 Normal WB (0xff), attr2 Normal NC (0x44), attr3 Device-nGnRE */
#define MAIR_VAL 0x0444ff00ul
/* TCR: T0SZ = 25 (39-bit VA, start level 1), 4KB, IRGN/ORGN WB, SH inner */
#define TCR_EL23 (25ul | 1ul << 8 | 1ul << 10 | 3ul << 12 | 2ul << 16 /* PS 40 bits */ | 1ul << 23 | 1ul << 31)
#define TCR_EL1 (25ul | 1ul << 8 | 1ul << 10 | 3ul << 12 | 25ul << 16 | 1ul << 24 | 1ul << 26 | 3ul << 28 | 2ul << 30 | 2ul << 32)

#define TEST_VA 0x40000000ul /* L1 index 1 -> the test L2/L3 tables */

/* pages: marker in the first word of each */
static u64 pages[8][512] __attribute__((aligned(4096)));
/* translation tables */
static u64 tt_l1[3][512] __attribute__((aligned(4096)));   /* per regime: EL3, EL2, EL1 */
static u64 tt_l2id[3][512] __attribute__((aligned(4096))); /* identity 2MB blocks for 0x8000_0000.. */
static u64 tt_l2t[3][512] __attribute__((aligned(4096)));  /* test L2 */
static u64 tt_l3t[3][512] __attribute__((aligned(4096)));  /* test L3 */
static u64 tt_hi[512] __attribute__((aligned(4096)));      /* TTBR1_EL1 level 1 */
/* stage 2: two concatenated level-1 tables (T0SZ = 24, SL0 = 1), an L2 and an L3 */
static u64 s2_l1[1024] __attribute__((aligned(8192)));
static u64 s2_l2[512] __attribute__((aligned(4096)));
static u64 s2_l3[512] __attribute__((aligned(4096)));
static u64 alt_l1[512] __attribute__((aligned(4096)));  /* EL1 second address space */
static u64 alt_l2[512] __attribute__((aligned(4096)));
static u64 alt_l3[512] __attribute__((aligned(4096)));
static u64 s2_l0[512] __attribute__((aligned(4096)));
static u64 unmapped_table[512] __attribute__((aligned(4096))); /* not mapped at stage 2 */
/* 64KB granule tables for EL3: level 2 (10 index bits, 8KB) and one level-3 table */
static u64 g64_l2[1024] __attribute__((aligned(65536)));
static u64 g64_l3[8192] __attribute__((aligned(65536)));
static u64 g64_page[8192] __attribute__((aligned(65536)));
static u64 tt_l0[512] __attribute__((aligned(4096))); /* EL3 level 0 for T0SZ = 16 */
static u64 stack_el2[2048] __attribute__((aligned(16)));
static u64 stack_el1[2048] __attribute__((aligned(16)));

/* the last exception: ESR, FAR, HPFAR, count, ELR, EL */
volatile u64 exc_rec[6];

u64 enter_from_el3(void *fn, u64 arg, void *sp);
u64 enter_from_el2(void *fn, u64 arg, void *sp);
u64 enter_from_el1(void *fn, u64 arg, void *sp);
u64 el0_ldr(u64 va);
u64 code_ret42(void);
extern char code_ret42_end[];
extern char vectors_el1[], vectors_el2[], vectors_el3[];

__asm__(
    ".macro VEC target\n .balign 128\n b \\target\n .endm\n"
    ".macro VECTORS n\n"
    " .balign 2048\n"
    " .global vectors_el\\n\n"
    "vectors_el\\n:\n"
    " VEC unexpected\n VEC unexpected\n VEC unexpected\n VEC unexpected\n"
    " VEC sync_cur_el\\n\n VEC unexpected\n VEC unexpected\n VEC unexpected\n"
    " VEC sync_low_el\\n\n VEC unexpected\n VEC unexpected\n VEC unexpected\n"
    " VEC unexpected\n VEC unexpected\n VEC unexpected\n VEC unexpected\n"
    " .balign 128\n"
    "sync_cur_el\\n:\n"
    " sub sp, sp, #48\n stp x0, x1, [sp]\n stp x2, x3, [sp, #16]\n"
    " mrs x0, esr_el\\n\n mrs x1, far_el\\n\n ldr x3, =exc_rec\n stp x0, x1, [x3]\n"
    " .if \\n == 2\n mrs x2, hpfar_el2\n .else\n mov x2, #0\n .endif\n"
    " str x2, [x3, #16]\n ldr x2, [x3, #24]\n add x2, x2, #1\n str x2, [x3, #24]\n"
    " mrs x2, elr_el\\n\n str x2, [x3, #32]\n mov x2, #\\n\n str x2, [x3, #40]\n"
    " lsr x0, x0, #26\n cmp x0, #0x20\n b.eq 1f\n cmp x0, #0x21\n b.eq 1f\n"
    " mrs x2, elr_el\\n\n add x2, x2, #4\n msr elr_el\\n, x2\n b 2f\n"
    "1: msr elr_el\\n, x30\n"
    "2: ldp x2, x3, [sp, #16]\n ldp x0, x1, [sp]\n add sp, sp, #48\n eret\n"
    "sync_low_el\\n:\n"
    " str x9, [sp, #-16]!\n mrs x9, esr_el\\n\n lsr x9, x9, #26\n"
    " cmp x9, #(0x14 + \\n)\n b.ne 3f\n add sp, sp, #16\n b return_el\\n\n"
    "3: ldr x9, [sp], #16\n b sync_cur_el\\n\n"
    /* enter_from_eln(fn, arg, sp): runs fn(arg) at EL n-1 (h), back here when it returns */
    " .global enter_from_el\\n\n"
    "enter_from_el\\n:\n"
    " ldr x9, =save_el\\n\n stp x19, x20, [x9]\n stp x21, x22, [x9, #16]\n stp x23, x24, [x9, #32]\n"
    " stp x25, x26, [x9, #48]\n stp x27, x28, [x9, #64]\n stp x29, x30, [x9, #80]\n"
    " mov x10, sp\n str x10, [x9, #96]\n"
    " ldr x10, =tramp_el\\n\n msr elr_el\\n, x10\n"
    " .if \\n == 3\n mov x10, #0x3c9\n msr sp_el2, x2\n .endif\n"
    " .if \\n == 2\n mov x10, #0x3c5\n msr sp_el1, x2\n .endif\n"
    " .if \\n == 1\n mov x10, #0x3c0\n msr sp_el0, x2\n .endif\n"
    " msr spsr_el\\n, x10\n mov x10, x0\n mov x0, x1\n mov x1, x10\n eret\n"
    "return_el\\n:\n"
    " ldr x9, =save_el\\n\n ldp x19, x20, [x9]\n ldp x21, x22, [x9, #16]\n ldp x23, x24, [x9, #32]\n"
    " ldp x25, x26, [x9, #48]\n ldp x27, x28, [x9, #64]\n ldp x29, x30, [x9, #80]\n"
    " ldr x10, [x9, #96]\n mov sp, x10\n ret\n"
    /* runs at EL n-1: call fn(arg), then return to EL n with SVC/HVC/SMC */
    "tramp_el\\n:\n blr x1\n"
    " .if \\n == 3\n smc #0\n .endif\n .if \\n == 2\n hvc #0\n .endif\n .if \\n == 1\n svc #0\n .endif\n"
    " b .\n"
    " .ltorg\n"
    " .pushsection .bss\n .balign 16\nsave_el\\n: .skip 112\n .popsection\n"
    ".endm\n"
    ".text\n"
    "VECTORS 1\nVECTORS 2\nVECTORS 3\n"
    "unexpected:\n"
    " mov x0, #0x18\n ldr x1, =unexpected_blk\n hlt #0xf000\n b .\n"
    " .pushsection .data\n .balign 8\nunexpected_blk: .quad 0x20026, 99\n .popsection\n"
    ".global el0_ldr\n"
    "el0_ldr: ldr x0, [x0]\n ret\n"
    ".global code_ret42\n .global code_ret42_end\n"
    "code_ret42: mov x0, #42\n ret\n"
    "code_ret42_end:\n .ltorg\n");

#define SYSREG_RW(name)                                                                      \
    static inline u64 rd_##name(void) { u64 v; __asm__ volatile("mrs %0, " #name : "=r"(v)); return v; } \
    static inline void wr_##name(u64 v) { __asm__ volatile("msr " #name ", %0" ::"r"(v) : "memory"); }
SYSREG_RW(sctlr_el1) SYSREG_RW(sctlr_el2) SYSREG_RW(sctlr_el3)
SYSREG_RW(tcr_el1) SYSREG_RW(tcr_el2) SYSREG_RW(tcr_el3)
SYSREG_RW(ttbr0_el1) SYSREG_RW(ttbr1_el1) SYSREG_RW(ttbr0_el2) SYSREG_RW(ttbr0_el3)
SYSREG_RW(mair_el1) SYSREG_RW(mair_el2) SYSREG_RW(mair_el3)
SYSREG_RW(vbar_el1) SYSREG_RW(vbar_el2) SYSREG_RW(vbar_el3)
SYSREG_RW(scr_el3) SYSREG_RW(hcr_el2) SYSREG_RW(vtcr_el2) SYSREG_RW(vttbr_el2)
SYSREG_RW(par_el1) SYSREG_RW(esr_el2) SYSREG_RW(far_el2) SYSREG_RW(hpfar_el2)

static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void dsb(void) { __asm__ volatile("dsb sy" ::: "memory"); }

static u64 ld(u64 va) { u64 v; __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(va) : "memory"); return v; }
static void st(u64 va, u64 v) { __asm__ volatile("str %0, [%1]" ::"r"(v), "r"(va) : "memory"); }
static u64 ld32(u64 va) { uint32_t v; __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(va) : "memory"); return v; }
static u64 ldtr(u64 va) { u64 v; __asm__ volatile("ldtr %0, [%1]" : "=r"(v) : "r"(va) : "memory"); return v; }

static void clear_exc(void) { exc_rec[0] = exc_rec[1] = exc_rec[2] = exc_rec[4] = exc_rec[5] = 0; exc_rec[3] = 0; }

/* prints ESR/FAR (and HPFAR when asked) of the last exception and checks them */
static void check_exc(const char *name, u64 esr, u64 far)
{
    /* ISV and the instruction syndrome (ISS[24:14]) are left out: for these stage-1 faults
     * the Arm ARM says ISV = 0 ("ISV is 0 for all faults reported in ESR_EL1 or ESR_EL3",
     * and in ESR_EL2 only stage 2 aborts set it), but qemu-system-aarch64 7.2 sets it for
     * faults taken to EL2. Stage-2 aborts below are printed in full. */
    sh_printf("%s: n=%lu el=%lu esr=%016lx far=%016lx\n", name, (unsigned long)exc_rec[3],
              (unsigned long)exc_rec[5], (unsigned long)(exc_rec[0] & ~0x01ffc000ul), (unsigned long)exc_rec[1]);
    check_u64(name, exc_rec[0] & ~0x01ffc000ul, esr);
    if (far != ~0ul)
        check_u64(name, exc_rec[1], far);
    clear_exc();
}

static void check_noexc(const char *name)
{
    check_u64(name, exc_rec[3], 0);
    clear_exc();
}

#define MARK(i) (0x1111111111111111ul * ((i) + 1))

/* builds the tables of regime r (0 = EL3, 1 = EL2, 2 = EL1&0). el1: two privilege levels */
static void build_s1(int r)
{
    u64 code_attr = D_AF | D_SH_IS | D_ATTR(1);
    for (int i = 0; i < 512; i++) {
        tt_l1[r][i] = 0;
        tt_l2t[r][i] = 0;
        tt_l3t[r][i] = 0;
        /* identity 0x8000_0000..0xC000_0000: Normal WB, EL1 RW, executable */
        tt_l2id[r][i] = (0x80000000ul + ((u64)i << 21)) | D_BLOCK | code_attr;
    }
    tt_l1[r][2] = (u64)tt_l2id[r] | D_TABLE;
    tt_l1[r][1] = (u64)tt_l2t[r] | D_TABLE;
    tt_l2t[r][0] = (u64)tt_l3t[r] | D_TABLE;
    u64 *l3 = tt_l3t[r];
    u64 n = D_PAGE | D_AF | D_SH_IS | D_ATTR(1);
    l3[0] = (u64)pages[0] | n | D_AP_EL0 | D_NG | D_UXN | D_PXN; /* RW (EL0 too), XN */
    l3[1] = (u64)pages[1] | n | D_AP_RO | D_NG;                 /* RO, EL1 only, nG */
    l3[2] = ((u64)pages[2] | n) & ~D_AF;                        /* access flag 0 */
    l3[3] = 0;                                                  /* invalid */
    l3[4] = (u64)pages[4] | D_PAGE | D_AF | D_ATTR(0);          /* Device-nGnRnE */
    l3[5] = (u64)pages[5] | n | D_AP_RO | D_AP_EL0 | D_UXN;     /* RO at EL0 and EL1, UXN */
    l3[6] = (u64)pages[6] | n | D_PXN | D_UXN;                  /* code, execute-never */
    l3[7] = (u64)pages[6] | n | D_AP_RO;                        /* code, executable */
    l3[8] = (u64)pages[7] | D_PAGE | D_AF | D_SH_IS | D_ATTR(2) | D_AP_EL0 | D_UXN | D_PXN; /* NC */
    /* level 2 entry 1 (VA 0x4020_0000): table not mapped at stage 2 (EL1 only) */
    tt_l2t[r][1] = (u64)unmapped_table | D_TABLE;
}

static void fill_pages(void)
{
    for (int i = 0; i < 8; i++)
        pages[i][0] = MARK(i);
    /* pages[6]: "mov x0, #42; ret" */
    const uint32_t *src = (const uint32_t *)code_ret42;
    uint32_t *dst = (uint32_t *)pages[6];
    dst[0] = src[0];
    dst[1] = src[1];
    for (u64 a = (u64)pages[6]; a < (u64)pages[6] + 8; a += 4)
        __asm__ volatile("dc cvau, %0\n ic ivau, %0" ::"r"(a) : "memory");
    dsb();
    isb();
}

typedef u64 (*fn0)(void);

static void sh_printf_buf(char *buf, const char *a, const char *b)
{
    int n = 0;
    while (*a && n < 20)
        buf[n++] = *a++;
    buf[n++] = ' ';
    while (*b && n < 62)
        buf[n++] = *b++;
    buf[n] = 0;
}

/* the accesses shared by every regime, at the current EL with its MMU on */
static void common_tests(const char *el, int elnum)
{
    char name[64];
    u64 ec_d = 0x25ul << 26 | 1ul << 25, ec_i = 0x21ul << 26 | 1ul << 25;
#define NAME(s) (sh_printf_buf(name, el, s), name)
    (void)elnum;
    check_u64(NAME("read page0"), ld(TEST_VA), MARK(0));
    check_noexc(NAME("read page0 no fault"));
    check_u64(NAME("read RO page1"), ld(TEST_VA + 0x1000), MARK(1));
    st(TEST_VA + 0x1008, 5); /* permission fault, level 3, WnR */
    check_exc(NAME("write RO"), ec_d | 1 << 6 | 0x0f, TEST_VA + 0x1008);
    ld(TEST_VA + 0x2010); /* access flag fault, level 3 */
    check_exc(NAME("access flag"), ec_d | 0x0b, TEST_VA + 0x2010);
    ld(TEST_VA + 0x3018); /* translation fault, level 3 */
    check_exc(NAME("translation L3"), ec_d | 0x07, TEST_VA + 0x3018);
    ld(TEST_VA + 0x600000); /* L2 entry 3 invalid: level 2 */
    check_exc(NAME("translation L2"), ec_d | 0x06, TEST_VA + 0x600000);
    ld(0x8000000000ul); /* above the 39-bit range: level 0 */
    check_exc(NAME("translation L0"), ec_d | 0x04, 0x8000000000ul);
    ld(0); /* L1 entry 0 invalid: level 1 */
    check_exc(NAME("translation L1"), ec_d | 0x05, 0);
    check_u64(NAME("device aligned"), ld32(TEST_VA + 0x4000), (uint32_t)MARK(4));
    /* An unaligned access to Device memory is an alignment fault (Arm ARM B2.5.2), but
     * qemu-system-aarch64 7.2 does not check it: covered by lsemu's unit tests only. */
    check_u64(NAME("normal unaligned"), ld32(TEST_VA + 0x8003), (uint32_t)MARK(7));
    check_noexc(NAME("normal unaligned no fault"));
    /* execute: executable alias returns 42, the XN alias faults (permission, level 3) */
    check_u64(NAME("exec"), ((fn0)(TEST_VA + 0x7000))(), 42);
    ((fn0)(TEST_VA + 0x6000))();
    check_exc(NAME("exec XN"), ec_i | 0x0f, TEST_VA + 0x6000);
}

/* remap test page 0 to page 3's frame, invalidate with `tlbi`, read the marker */
#define TLBI_TEST(name, l3, tlbi_insn)                                                      \
    do {                                                                                   \
        u64 old = (l3)[0];                                                                 \
        (l3)[0] = (old & ~0xfffffffff000ul) | (u64)pages[3];                               \
        dsb();                                                                             \
        __asm__ volatile(tlbi_insn "\n dsb sy\n isb" ::"r"((TEST_VA >> 12) | 1ul << 48) : "memory"); \
        check_u64(name, ld(TEST_VA), MARK(3));                                             \
        (l3)[0] = old;                                                                     \
        dsb();                                                                             \
        __asm__ volatile(tlbi_insn "\n dsb sy\n isb" ::"r"((TEST_VA >> 12) | 1ul << 48) : "memory"); \
        check_u64(name, ld(TEST_VA), MARK(0));                                             \
    } while (0)

static u64 at_s1e3r(u64 va) { __asm__ volatile("at s1e3r, %0\n isb" ::"r"(va)); return rd_par_el1(); }
static u64 at_s1e3w(u64 va) { __asm__ volatile("at s1e3w, %0\n isb" ::"r"(va)); return rd_par_el1(); }
static u64 at_s1e2r(u64 va) { __asm__ volatile("at s1e2r, %0\n isb" ::"r"(va)); return rd_par_el1(); }
static u64 at_s1e2w(u64 va) { __asm__ volatile("at s1e2w, %0\n isb" ::"r"(va)); return rd_par_el1(); }
static u64 at_s1e1r(u64 va) { __asm__ volatile("at s1e1r, %0\n isb" ::"r"(va)); return rd_par_el1(); }
static u64 at_s1e1w(u64 va) { __asm__ volatile("at s1e1w, %0\n isb" ::"r"(va)); return rd_par_el1(); }
static u64 at_s1e0r(u64 va) { __asm__ volatile("at s1e0r, %0\n isb" ::"r"(va)); return rd_par_el1(); }
static u64 at_s1e0w(u64 va) { __asm__ volatile("at s1e0w, %0\n isb" ::"r"(va)); return rd_par_el1(); }
static u64 at_s12e1r(u64 va) { __asm__ volatile("at s12e1r, %0\n isb" ::"r"(va)); return rd_par_el1(); }
static u64 at_s12e1w(u64 va) { __asm__ volatile("at s12e1w, %0\n isb" ::"r"(va)); return rd_par_el1(); }

static void show_par(const char *name, u64 par, u64 want)
{
    sh_printf("%s: par=%016lx\n", name, (unsigned long)par);
    check_u64(name, par, want);
}

/* PAR_EL1 success: PA | ATTR << 56 | SH << 7 | NS << 9 | bit 11; fault: F | FST << 1 | PTW << 8 | S << 9 | bit 11 */
#define PAR_OK(pa, attr, sh, ns) ((u64)(uintptr_t)(pa) | (u64)(attr) << 56 | (u64)(sh) << 7 | (u64)(ns) << 9 | 1ul << 11)
#define PAR_F(fst, ptw, s) (1ul | (u64)(fst) << 1 | (u64)(ptw) << 8 | (u64)(s) << 9 | 1ul << 11)

/* ---------------- EL1 / EL0 ---------------- */
static u64 el1_main(u64 arg)
{
    (void)arg;
    u64 ec_d = 0x25ul << 26 | 1ul << 25;
    wr_vbar_el1((u64)vectors_el1);
    wr_mair_el1(MAIR_VAL);
    wr_tcr_el1(TCR_EL1);
    wr_ttbr0_el1((u64)tt_l1[2] | 1ul << 48); /* ASID 1 */
    wr_ttbr1_el1((u64)tt_hi);
    isb();
    __asm__ volatile("tlbi vmalle1\n dsb sy\n isb" ::: "memory");
    wr_sctlr_el1((rd_sctlr_el1() | 1) & ~(1ul << 1 | 1ul << 19));
    isb();
    sh_printf("EL1: MMU on (stage 1 + stage 2)\n");
    common_tests("EL1", 1);

    /* TTBR1: VA 0xffff_ff80_0000_0000 + x -> PA 0x8000_0000 + x (1GB block) */
    check_u64("EL1 TTBR1 alias", ld(0xffffff8000000000ul + ((u64)pages[5] - 0x80000000ul)), MARK(5));
    ld(0xffffff0000000000ul); /* below the TTBR1 range, above the TTBR0 one: level 0 */
    check_exc("EL1 between ranges", ec_d | 0x04, 0xffffff0000000000ul);

    /* LDTR: EL0 permissions. page1 is EL1-only */
    check_u64("EL1 ldtr page0", ldtr(TEST_VA), MARK(0));
    ldtr(TEST_VA + 0x1000);
    check_exc("EL1 ldtr EL1-only page", ec_d | 0x0f, TEST_VA + 0x1000);

    /* SCTLR_EL1.A: alignment fault on Normal memory */
    wr_sctlr_el1(rd_sctlr_el1() | 1ul << 1);
    isb();
    ld32(TEST_VA + 0x8002);
    check_exc("EL1 SCTLR.A unaligned", ec_d | 0x21, TEST_VA + 0x8002);
    wr_sctlr_el1(rd_sctlr_el1() & ~(1ul << 1));
    isb();

    /* stage 2 faults are taken to EL2 (recorded there): page 5 is read-only at stage 2 */
    check_u64("EL1 read S2-RO page", ld((u64)pages[5]), MARK(5));
    st((u64)pages[5] + 8, 1);
    sh_printf("EL1 write S2-RO: n=%lu el=%lu esr=%016lx far=%016lx hpfar=%016lx\n", (unsigned long)exc_rec[3],
              (unsigned long)exc_rec[5], (unsigned long)exc_rec[0], (unsigned long)exc_rec[1], (unsigned long)exc_rec[2]);
    check_u64("EL1 write S2-RO el", exc_rec[5], 2);
    /* EC 0x24 (lower EL), IL, WnR, permission level 3 (ISV/syndrome bits masked) */
    check_u64("EL1 write S2-RO esr", exc_rec[0] & ~0x01ffc000ul, 0x24ul << 26 | 1ul << 25 | 1 << 6 | 0x0f);
    check_u64("EL1 write S2-RO far", exc_rec[1], (u64)pages[5] + 8);
    check_u64("EL1 write S2-RO hpfar", exc_rec[2], ((u64)pages[5] >> 12) << 4);
    clear_exc();
    /* stage-1 table in an IPA not mapped at stage 2: S1PTW, stage-2 translation fault */
    ld(TEST_VA + 0x200000);
    sh_printf("EL1 S1PTW: n=%lu el=%lu esr=%016lx far=%016lx hpfar=%016lx\n", (unsigned long)exc_rec[3],
              (unsigned long)exc_rec[5], (unsigned long)exc_rec[0], (unsigned long)exc_rec[1], (unsigned long)exc_rec[2]);
    check_u64("EL1 S1PTW el", exc_rec[5], 2);
    /* level of the stage-2 fault: the L3 table of stage 2 has no entry for it -> level 3 */
    check_u64("EL1 S1PTW esr", exc_rec[0], 0x24ul << 26 | 1ul << 25 | 1 << 7 | 0x07);
    check_u64("EL1 S1PTW far", exc_rec[1], TEST_VA + 0x200000);
    check_u64("EL1 S1PTW hpfar", exc_rec[2], ((u64)unmapped_table >> 12) << 4);
    clear_exc();

    /* TLB maintenance after changing a mapping */
    TLBI_TEST("EL1 tlbi vae1", tt_l3t[2], "tlbi vae1, %0");
    TLBI_TEST("EL1 tlbi vale1", tt_l3t[2], "tlbi vale1, %0");
    TLBI_TEST("EL1 tlbi vaae1", tt_l3t[2], "tlbi vaae1, %0");
    TLBI_TEST("EL1 tlbi aside1", tt_l3t[2], "tlbi aside1, %0");
    TLBI_TEST("EL1 tlbi vmalle1", tt_l3t[2], "tlbi vmalle1");
    TLBI_TEST("EL1 tlbi vae1is", tt_l3t[2], "tlbi vae1is, %0");

    /* ASIDs: a second address space (ASID 2) maps TEST_VA (nG) to page3; switching
     * TTBR0_EL1 with its ASID needs no TLB maintenance */
    for (int i = 0; i < 512; i++) {
        alt_l1[i] = tt_l1[2][i];
        alt_l2[i] = 0;
        alt_l3[i] = 0;
    }
    alt_l1[1] = (u64)alt_l2 | D_TABLE;
    alt_l2[0] = (u64)alt_l3 | D_TABLE;
    alt_l3[0] = (u64)pages[3] | D_PAGE | D_AF | D_SH_IS | D_ATTR(1) | D_NG;
    dsb();
    for (int round = 0; round < 2; round++) {
        wr_ttbr0_el1((u64)alt_l1 | 2ul << 48);
        isb();
        check_u64("EL1 ASID 2 page", ld(TEST_VA), MARK(3));
        ld(TEST_VA + 0x1000);
        check_exc("EL1 ASID 2 unmapped", ec_d | 0x07, TEST_VA + 0x1000);
        wr_ttbr0_el1((u64)tt_l1[2] | 1ul << 48);
        isb();
        check_u64("EL1 ASID 1 page", ld(TEST_VA), MARK(0));
        check_u64("EL1 ASID 1 page1", ld(TEST_VA + 0x1000), MARK(1));
    }
    /* TCR_EL1.A1 = 1: the ASID comes from TTBR1_EL1 (ASID 7 here) */
    wr_ttbr1_el1((u64)tt_hi | 7ul << 48);
    wr_tcr_el1(TCR_EL1 | 1ul << 22);
    isb();
    check_u64("EL1 A1=1 page", ld(TEST_VA), MARK(0));
    wr_ttbr0_el1((u64)alt_l1 | 2ul << 48);
    wr_ttbr1_el1((u64)tt_hi | 8ul << 48);
    isb();
    check_u64("EL1 A1=1 ASID 8 page", ld(TEST_VA), MARK(3));
    wr_ttbr0_el1((u64)tt_l1[2] | 1ul << 48);
    wr_ttbr1_el1((u64)tt_hi);
    wr_tcr_el1(TCR_EL1);
    isb();
    __asm__ volatile("tlbi vmalle1\n dsb sy\n isb" ::: "memory");

    /* AT from EL1: S1E1* give the IPA (== PA here), stage-1 attributes */
    show_par("EL1 at s1e1r page0", at_s1e1r(TEST_VA + 0x123), PAR_OK(pages[0], 0xff, 3, 1));
    show_par("EL1 at s1e1w RO", at_s1e1w(TEST_VA + 0x1000), PAR_F(0x0f, 0, 0));
    show_par("EL1 at s1e1r AF", at_s1e1r(TEST_VA + 0x2000), PAR_F(0x0b, 0, 0));
    show_par("EL1 at s1e1r invalid", at_s1e1r(TEST_VA + 0x3000), PAR_F(0x07, 0, 0));
    show_par("EL1 at s1e0r EL1-only", at_s1e0r(TEST_VA + 0x1000), PAR_F(0x0f, 0, 0));
    show_par("EL1 at s1e0r page5", at_s1e0r(TEST_VA + 0x5000), PAR_OK(pages[5], 0xff, 3, 1));
    show_par("EL1 at s1e0w page5 (RO)", at_s1e0w(TEST_VA + 0x5000), PAR_F(0x0f, 0, 0));
    show_par("EL1 at s1e0w page0", at_s1e0w(TEST_VA + 0x8), PAR_OK(pages[0], 0xff, 3, 1));
    /* stage 1 alone: SH as in the descriptor (IMPLEMENTATION DEFINED for Device/NC) */
    show_par("EL1 at s1e1r device", at_s1e1r(TEST_VA + 0x4000), PAR_OK(pages[4], 0x00, 0, 1));
    show_par("EL1 at s1e1r NC", at_s1e1r(TEST_VA + 0x8000), PAR_OK(pages[7], 0x44, 3, 1));

    /* EL0 */
    check_u64("EL0 read page0", enter_from_el1((void *)el0_ldr, TEST_VA, stack_el1 + 1024), MARK(0));
    check_noexc("EL0 read page0 no fault");
    enter_from_el1((void *)el0_ldr, TEST_VA + 0x1000, stack_el1 + 1024);
    check_exc("EL0 read EL1-only", 0x24ul << 26 | 1ul << 25 | 0x0f, TEST_VA + 0x1000);
    check_u64("EL0 read RO page5", enter_from_el1((void *)el0_ldr, TEST_VA + 0x5000, stack_el1 + 1024), MARK(5));
    enter_from_el1((void *)(TEST_VA + 0x6000), 0, stack_el1 + 1024);
    check_exc("EL0 exec UXN", 0x20ul << 26 | 1ul << 25 | 0x0f, TEST_VA + 0x6000);
    check_u64("EL0 exec", enter_from_el1((void *)(TEST_VA + 0x7000), 0, stack_el1 + 1024), 42);
    check_noexc("EL0 exec no fault");

    wr_sctlr_el1(rd_sctlr_el1() & ~1ul);
    isb();
    return 0x1234;
}

/* EL1 again after EL2 changed stage 2: remapped IPA, stage-2 XN, stage-2 access flag */
static void print_el2_exc(const char *name)
{
    sh_printf("%s: n=%lu el=%lu esr=%016lx far=%016lx hpfar=%016lx\n", name, (unsigned long)exc_rec[3],
              (unsigned long)exc_rec[5], (unsigned long)exc_rec[0], (unsigned long)exc_rec[1], (unsigned long)exc_rec[2]);
}

static u64 el1_second(u64 arg)
{
    (void)arg;
    wr_sctlr_el1(rd_sctlr_el1() | 1);
    isb();
    check_u64("EL1 IPA of page3 remapped to page4", ld((u64)pages[3]), MARK(4));
    check_u64("EL1 page0 unchanged", ld((u64)pages[0]), MARK(0));
    clear_exc();
    ((fn0)(TEST_VA + 0x7000))();
    print_el2_exc("EL1 exec S2-XN");
    check_u64("EL1 exec S2-XN el", exc_rec[5], 2);
    check_u64("EL1 exec S2-XN esr", exc_rec[0], 0x20ul << 26 | 1ul << 25 | 0x0f);
    check_u64("EL1 exec S2-XN far", exc_rec[1], TEST_VA + 0x7000);
    check_u64("EL1 exec S2-XN hpfar", exc_rec[2], ((u64)pages[6] >> 12) << 4);
    clear_exc();
    ld((u64)pages[2] + 0x18);
    print_el2_exc("EL1 read S2-AF");
    check_u64("EL1 read S2-AF esr", exc_rec[0] & ~0x01ffc000ul, 0x24ul << 26 | 1ul << 25 | 0x0b);
    check_u64("EL1 read S2-AF hpfar", exc_rec[2], ((u64)pages[2] >> 12) << 4);
    clear_exc();
    wr_sctlr_el1(rd_sctlr_el1() & ~1ul);
    isb();
    return 0x4321;
}

/* ---------------- EL2 ---------------- */
static void build_s2(void)
{
    for (int i = 0; i < 1024; i++)
        s2_l1[i] = 0;
    for (int i = 0; i < 512; i++) {
        s2_l2[i] = (0x80000000ul + ((u64)i << 21)) | D_BLOCK | D_AF | S2_RD | S2_WR | S2_WB | D_SH_IS;
        s2_l3[i] = 0;
    }
    /* IPA 0x8000_0000 (L1 index 2) -> L2 identity; the 2MB block holding pages[] -> L3 */
    s2_l1[2] = (u64)s2_l2 | D_TABLE;
    u64 blk = (u64)pages & ~0x1ffffful;
    for (int i = 0; i < 512; i++)
        s2_l3[i] = (blk + ((u64)i << 12)) | D_PAGE | D_AF | S2_RD | S2_WR | S2_WB | D_SH_IS;
    s2_l2[(blk - 0x80000000ul) >> 21] = (u64)s2_l3 | D_TABLE;
    /* pages[5]: read-only; unmapped_table: invalid */
    s2_l3[((u64)pages[5] - blk) >> 12] &= ~S2_WR;
    s2_l3[((u64)unmapped_table - blk) >> 12] = 0;
}

static u64 el2_main(u64 arg)
{
    (void)arg;
    wr_vbar_el2((u64)vectors_el2);
    wr_mair_el2(MAIR_VAL);
    wr_tcr_el2(TCR_EL23);
    wr_ttbr0_el2((u64)tt_l1[1]);
    isb();
    __asm__ volatile("tlbi alle2\n dsb sy\n isb" ::: "memory");
    wr_sctlr_el2((rd_sctlr_el2() | 1) & ~(1ul << 1 | 1ul << 19));
    isb();
    sh_printf("EL2: MMU on\n");
    common_tests("EL2", 2);
    TLBI_TEST("EL2 tlbi vae2", tt_l3t[1], "tlbi vae2, %0");
    TLBI_TEST("EL2 tlbi alle2", tt_l3t[1], "tlbi alle2");
    show_par("EL2 at s1e2r page0", at_s1e2r(TEST_VA), PAR_OK(pages[0], 0xff, 3, 1));
    show_par("EL2 at s1e2w RO", at_s1e2w(TEST_VA + 0x1000), PAR_F(0x0f, 0, 0));

    /* stage 2 + EL1 */
    build_s2();
    dsb();
    wr_vtcr_el2(24 | 1ul << 6 | 1ul << 8 | 1ul << 10 | 3ul << 12 | 2ul << 16 | 1ul << 31);
    wr_vttbr_el2((u64)s2_l1 | 3ul << 48); /* VMID 3 */
    wr_hcr_el2(1ul << 31 | 1); /* RW, VM */
    isb();
    __asm__ volatile("tlbi vmalls12e1\n dsb sy\n isb" ::: "memory");
    u64 r = enter_from_el2((void *)el1_main, 0, stack_el1 + 2048);
    check_u64("EL1 returned", r, 0x1234);

    /* change stage 2: IPA of page3 -> page4, page6 (code) XN, page2 access flag 0 */
    {
        u64 blk = (u64)pages & ~0x1ffffful;
        u64 *e3 = &s2_l3[((u64)pages[3] - blk) >> 12];
        u64 *e6 = &s2_l3[((u64)pages[6] - blk) >> 12];
        u64 *e2 = &s2_l3[((u64)pages[2] - blk) >> 12];
        u64 o3 = *e3, o6 = *e6, o2 = *e2;
        *e3 = (o3 & ~0xfffffffff000ul) | (u64)pages[4];
        *e6 = o6 | S2_XN;
        *e2 = o2 & ~D_AF;
        dsb();
        __asm__ volatile("tlbi ipas2e1is, %0\n tlbi ipas2e1is, %1\n tlbi ipas2le1is, %2\n dsb ish\n tlbi vmalle1is\n dsb ish\n isb"
                         ::"r"((u64)pages[3] >> 12), "r"((u64)pages[6] >> 12), "r"((u64)pages[2] >> 12) : "memory");
        check_u64("EL1 second returned", enter_from_el2((void *)el1_second, 0, stack_el1 + 2048), 0x4321);
        *e3 = o3;
        *e6 = o6;
        *e2 = o2;
        dsb();
        __asm__ volatile("tlbi vmalls12e1\n dsb sy\n isb" ::: "memory");
    }

    /* AT S12E1* from EL2 (EL1's stage 1 is off now: IPA = VA) */
    show_par("EL2 at s12e1r", at_s12e1r((u64)pages[0]), PAR_OK(pages[0], 0x00, 2, 1));
    show_par("EL2 at s12e1w S2-RO", at_s12e1w((u64)pages[5]), PAR_F(0x0f, 0, 1));
    show_par("EL2 at s12e1r S2-unmapped", at_s12e1r((u64)unmapped_table), PAR_F(0x07, 0, 1));
    show_par("EL2 at s1e1r (stage 1 off)", at_s1e1r((u64)pages[0] + 0x10), PAR_OK(pages[0], 0x00, 0, 1));
    /* with EL1's stage 1 on again (SCTLR_EL1.M = 1) the walk goes through stage 2 */
    wr_sctlr_el1(rd_sctlr_el1() | 1);
    isb();
    show_par("EL2 at s12e1r page0", at_s12e1r(TEST_VA), PAR_OK(pages[0], 0xff, 3, 1));
    show_par("EL2 at s12e1r S1PTW", at_s12e1r(TEST_VA + 0x200000), PAR_F(0x07, 1, 1));
    show_par("EL2 at s1e1r S1PTW", at_s1e1r(TEST_VA + 0x200000), PAR_F(0x07, 1, 1));
    /* Stage-2 configurations, with EL1's stage 1 off (IPA = VA). Start at level 0:
     * SL0 = 2, T0SZ = 24 (2 entries at level 0). PS = 44 bits: QEMU 7.2 allows a level-0
     * start only for PS > 42 bits (the Arm ARM checks the implemented PA size, 44). */
    wr_sctlr_el1(rd_sctlr_el1() & ~1ul);
    s2_l0[0] = (u64)s2_l1 | D_TABLE;
    s2_l0[1] = 0;
    dsb();
    wr_vtcr_el2(24 | 2ul << 6 | 1ul << 8 | 1ul << 10 | 3ul << 12 | 4ul << 16 | 1ul << 31);
    wr_vttbr_el2((u64)s2_l0 | 3ul << 48);
    isb();
    __asm__ volatile("tlbi vmalls12e1\n dsb sy\n isb" ::: "memory");
    show_par("EL2 at s12e1r S2 from level 0", at_s12e1r((u64)pages[0]), PAR_OK(pages[0], 0x00, 2, 1));
    show_par("EL2 at s12e1r S2 L0[1] invalid", at_s12e1r(0x8000000000ul + 0x1000), PAR_F(0x04, 0, 1));
    /* IPA beyond the 40-bit input range: stage-2 translation fault level 0 */
    wr_vtcr_el2(24 | 1ul << 6 | 1ul << 8 | 1ul << 10 | 3ul << 12 | 2ul << 16 | 1ul << 31);
    wr_vttbr_el2((u64)s2_l1 | 3ul << 48);
    isb();
    __asm__ volatile("tlbi vmalls12e1\n dsb sy\n isb" ::: "memory");
    show_par("EL2 at s12e1r IPA >= 2^40", at_s12e1r(0x10000000000ul), PAR_F(0x04, 0, 1));
    /* 4KB with SL0 = 3 (reserved) and SL0 = 0 with T0SZ = 24 (2^19 level-2 entries) are
     * invalid: a stage-2 translation fault, level 0 by the ASL (QEMU 7.2 reports level 1,
     * so only F and S are compared) */
    wr_vtcr_el2(24 | 3ul << 6 | 1ul << 8 | 1ul << 10 | 3ul << 12 | 2ul << 16 | 1ul << 31);
    isb();
    __asm__ volatile("tlbi vmalls12e1\n dsb sy\n isb" ::: "memory");
    show_par("EL2 at s12e1r bad SL0 (F, S)", at_s12e1r((u64)pages[0]) & 0x201, 0x201);
    wr_vtcr_el2(24 | 0ul << 6 | 1ul << 8 | 1ul << 10 | 3ul << 12 | 2ul << 16 | 1ul << 31);
    isb();
    __asm__ volatile("tlbi vmalls12e1\n dsb sy\n isb" ::: "memory");
    show_par("EL2 at s12e1r inconsistent SL0 (F, S)", at_s12e1r((u64)pages[0]) & 0x201, 0x201);
    wr_vtcr_el2(24 | 1ul << 6 | 1ul << 8 | 1ul << 10 | 3ul << 12 | 2ul << 16 | 1ul << 31);
    isb();

    wr_sctlr_el1(rd_sctlr_el1() & ~1ul);
    wr_hcr_el2(1ul << 31);
    wr_sctlr_el2(rd_sctlr_el2() & ~1ul);
    isb();
    return 0x5678;
}

/* EL3 extras: TBI, WXN, hierarchical APTable/XNTable, the 64KB granule */
static void el3_extra_tests(void)
{
    u64 ec_d = 0x25ul << 26 | 1ul << 25, ec_i = 0x21ul << 26 | 1ul << 25;
    u64 tagged = 0x5a00000000000000ul | TEST_VA;
    /* TBI = 0: a tagged address is outside the range: translation fault level 0, FAR tagged */
    ld(tagged);
    check_exc("EL3 tagged TBI=0", ec_d | 0x04, tagged);
    wr_tcr_el3(TCR_EL23 | 1ul << 20);
    isb();
    check_u64("EL3 tagged TBI=1", ld(tagged + 8), 0);
    check_u64("EL3 tagged TBI=1 marker", ld(tagged), MARK(0));
    ld(tagged + 0x3000);
    check_exc("EL3 tagged TBI=1 fault", ec_d | 0x07, tagged + 0x3000);
    wr_tcr_el3(TCR_EL23);
    isb();

    /* (SCTLR.WXN is covered by the unit tests only: here the code itself runs from
     * writable memory.) */

    /* APTable[1] (bit 62) on the L2 entry: everything below is read-only */
    u64 oldt = tt_l2t[0][0];
    tt_l2t[0][0] = oldt | 1ul << 62;
    dsb();
    __asm__ volatile("tlbi alle3\n dsb sy\n isb" ::: "memory");
    check_u64("EL3 APTable RO read", ld(TEST_VA), MARK(0));
    st(TEST_VA + 0x10, 1);
    check_exc("EL3 APTable RO write", ec_d | 1 << 6 | 0x0f, TEST_VA + 0x10);
    /* XNTable (bit 60): nothing below is executable */
    tt_l2t[0][0] = oldt | 1ul << 60;
    dsb();
    __asm__ volatile("tlbi alle3\n dsb sy\n isb" ::: "memory");
    ((fn0)(TEST_VA + 0x7000))();
    check_exc("EL3 XNTable exec", ec_i | 0x0f, TEST_VA + 0x7000);
    tt_l2t[0][0] = oldt;
    dsb();
    __asm__ volatile("tlbi alle3\n dsb sy\n isb" ::: "memory");

    /* a 1GB block at level 1 (VA 0xC000_0000 -> PA 0x8000_0000) */
    tt_l1[0][3] = 0x80000000ul | D_BLOCK | D_AF | D_SH_IS | D_ATTR(1);
    dsb();
    __asm__ volatile("tlbi alle3\n dsb sy\n isb" ::: "memory");
    check_u64("EL3 1GB block", ld((u64)pages[2] + 0x40000000ul), MARK(2));
    /* PS = 32 bits: the block's output address 0x1_0000_0000 is too large -> address size
     * fault level 1 (nothing is accessed there) */
    tt_l1[0][3] = 0x100000000ul | D_BLOCK | D_AF | D_SH_IS | D_ATTR(1);
    wr_tcr_el3(TCR_EL23 & ~(7ul << 16));
    isb();
    __asm__ volatile("tlbi alle3\n dsb sy\n isb" ::: "memory");
    ld(0xc0000000ul);
    check_exc("EL3 address size L1", ec_d | 0x01, 0xc0000000ul);
    check_u64("EL3 PS=32 read page0", ld(TEST_VA), MARK(0));
    wr_tcr_el3(TCR_EL23);
    tt_l1[0][3] = 0;
    /* block encoding (0b01) at level 3 is reserved: translation fault level 3 */
    tt_l3t[0][9] = (u64)pages[1] | D_BLOCK | D_AF | D_ATTR(1);
    dsb();
    __asm__ volatile("tlbi alle3\n dsb sy\n isb" ::: "memory");
    ld(TEST_VA + 0x9000);
    check_exc("EL3 level-3 block reserved", ec_d | 0x07, TEST_VA + 0x9000);
    tt_l3t[0][9] = 0;
    /* T0SZ = 16: four levels from level 0. (A block descriptor at level 0 is a
     * translation fault with 4KB granules in ARMv8.0, but qemu-system-aarch64 7.2 maps
     * it: covered by the unit tests only.) */
    for (int i = 0; i < 512; i++)
        tt_l0[i] = 0;
    tt_l0[0] = (u64)tt_l1[0] | D_TABLE;
    dsb();
    {
        u64 sc = rd_sctlr_el3();
        wr_sctlr_el3(sc & ~1ul);
        isb();
        wr_tcr_el3((TCR_EL23 & ~63ul) | 16);
        wr_ttbr0_el3((u64)tt_l0);
        isb();
        __asm__ volatile("tlbi alle3\n dsb sy\n isb" ::: "memory");
        wr_sctlr_el3(sc);
        isb();
        check_u64("EL3 T0SZ=16 read page0", ld(TEST_VA), MARK(0));
        ld(0x10000000000ul);
        check_exc("EL3 T0SZ=16 L0 invalid", ec_d | 0x04, 0x10000000000ul);
        show_par("EL3 T0SZ=16 at s1e3r", at_s1e3r(TEST_VA + 0x5000), PAR_OK(pages[5], 0xff, 3, 0));
        wr_sctlr_el3(sc & ~1ul);
        isb();
        wr_tcr_el3(TCR_EL23);
        wr_ttbr0_el3((u64)tt_l1[0]);
        isb();
        __asm__ volatile("tlbi alle3\n dsb sy\n isb" ::: "memory");
        wr_sctlr_el3(sc);
        isb();
    }

    /* TG0 = 0b10 selects 16KB, which the A72 does not implement (ID_AA64MMFR0_EL1.TGran16
     * = 0): an implemented size is used instead (4KB, IMPLEMENTATION DEFINED; QEMU agrees) */
    {
        u64 sc = rd_sctlr_el3();
        wr_sctlr_el3(sc & ~1ul);
        isb();
        wr_tcr_el3(TCR_EL23 | 2ul << 14);
        isb();
        __asm__ volatile("tlbi alle3\n dsb sy\n isb" ::: "memory");
        wr_sctlr_el3(sc);
        isb();
        check_u64("EL3 TG0=16KB behaves as 4KB", ld(TEST_VA + 0x5000), MARK(5));
        check_noexc("EL3 TG0=16KB no fault");
        wr_sctlr_el3(sc & ~1ul);
        isb();
        wr_tcr_el3(TCR_EL23);
        isb();
        __asm__ volatile("tlbi alle3\n dsb sy\n isb" ::: "memory");
        wr_sctlr_el3(sc);
        isb();
    }

    /* 64KB granule, T0SZ = 25: start level 2 (VA[38:29]), level 3 VA[28:16] */
    for (int i = 0; i < 1024; i++)
        g64_l2[i] = 0;
    for (int i = 0; i < 8192; i++)
        g64_l3[i] = 0;
    g64_page[0] = 0x6464646464646464ul;
    g64_page[0x1230 / 8] = 0x1230;
    g64_l2[4] = 0x80000000ul | D_BLOCK | D_AF | D_SH_IS | D_ATTR(1); /* 512MB identity */
    g64_l2[2] = (u64)g64_l3 | D_TABLE;                               /* VA 0x4000_0000 */
    g64_l3[1] = (u64)g64_page | D_PAGE | D_AF | D_SH_IS | D_ATTR(1); /* VA 0x4001_0000 */
    g64_l3[2] = ((u64)g64_page | D_PAGE | D_SH_IS | D_ATTR(1));       /* AF = 0 */
    g64_l2[3] = 0x20000000ul | D_BLOCK | D_AF | D_ATTR(1);            /* VA 0x6000_0000 */
    dsb();
    u64 sctlr = rd_sctlr_el3();
    wr_sctlr_el3(sctlr & ~1ul);
    isb();
    wr_tcr_el3(TCR_EL23 | 1ul << 14);
    wr_ttbr0_el3((u64)g64_l2);
    isb();
    __asm__ volatile("tlbi alle3\n dsb sy\n isb" ::: "memory");
    wr_sctlr_el3(sctlr);
    isb();
    check_u64("EL3 64K page", ld(0x40010000ul), 0x6464646464646464ul);
    check_u64("EL3 64K page offset", ld(0x40011230ul), 0x1230);
    show_par("EL3 64K at s1e3r", at_s1e3r(0x4001f008ul), PAR_OK((u64)g64_page + 0xf000, 0xff, 3, 0));
    ld(0x40020000ul);
    check_exc("EL3 64K access flag", ec_d | 0x0b, 0x40020000ul);
    ld(0x40030000ul);
    check_exc("EL3 64K translation L3", ec_d | 0x07, 0x40030000ul);
    ld(0x00000000ul);
    check_exc("EL3 64K translation L2", ec_d | 0x06, 0);
    show_par("EL3 64K at s1e3r block", at_s1e3r(0x60123000ul), PAR_OK(0x20123000ul, 0xff, 0, 0));
    wr_sctlr_el3(sctlr & ~1ul);
    isb();
    wr_tcr_el3(TCR_EL23);
    wr_ttbr0_el3((u64)tt_l1[0]);
    isb();
    __asm__ volatile("tlbi alle3\n dsb sy\n isb" ::: "memory");
    wr_sctlr_el3(sctlr);
    isb();
}

/* ---------------- EL3 ---------------- */
int main(void)
{
    fill_pages();
    for (int r = 0; r < 3; r++)
        build_s1(r);
    for (int i = 0; i < 512; i++)
        tt_hi[i] = 0;
    tt_hi[0] = 0x80000000ul | D_BLOCK | D_AF | D_SH_IS | D_ATTR(1);
    dsb();

    wr_vbar_el3((u64)vectors_el3);
    wr_mair_el3(MAIR_VAL);
    wr_tcr_el3(TCR_EL23);
    wr_ttbr0_el3((u64)tt_l1[0]);
    isb();
    __asm__ volatile("tlbi alle3\n dsb sy\n isb" ::: "memory");
    /* (MMU off: data is Device-nGnRnE, so an unaligned access faults; QEMU 7.2 does not
     * check it, so it is not tested here.) */
    wr_sctlr_el3((rd_sctlr_el3() | 1) & ~(1ul << 1 | 1ul << 19));
    isb();
    sh_printf("EL3: MMU on\n");
    common_tests("EL3", 3);
    TLBI_TEST("EL3 tlbi vae3", tt_l3t[0], "tlbi vae3, %0");
    TLBI_TEST("EL3 tlbi alle3", tt_l3t[0], "tlbi alle3");
    /* Secure regime: NS = 0 in PAR */
    show_par("EL3 at s1e3r page0", at_s1e3r(TEST_VA + 0x10), PAR_OK(pages[0], 0xff, 3, 0));
    show_par("EL3 at s1e3w RO", at_s1e3w(TEST_VA + 0x1000), PAR_F(0x0f, 0, 0));
    show_par("EL3 at s1e3r invalid", at_s1e3r(TEST_VA + 0x3000), PAR_F(0x07, 0, 0));
    el3_extra_tests();
    wr_sctlr_el3(rd_sctlr_el3() & ~1ul);
    isb();

    /* Non-secure EL2, AArch64, HVC enabled */
    wr_scr_el3(1ul << 0 | 1ul << 8 | 1ul << 10);
    isb();
    u64 r = enter_from_el3((void *)el2_main, 0, stack_el2 + 2048);
    check_u64("EL2 returned", r, 0x5678);
    sh_printf("mmu: %d failures\n", sh_failures);
    return sh_failures;
}
