//! The GIC model against an independent implementation of the GICv3 architecture: QEMU's
//! (qemu-system-aarch64 -M virt,gic-version=3, Cortex-A72 CPU interface with 5 priority
//! bits). Register-access scripts run as bare-metal programs under QEMU (built with
//! gcc-aarch64-linux-gnu against test-suites/baremetal/lib) and on the model with the same
//! addresses translated; every value read must be the same. With secure=on (two Security
//! states, DS = 0) the scripts start at EL3 (Secure accesses) and some continue at
//! Non-secure EL1 (the view Linux has); with secure=off (DS = 1) they run at EL1.
//!
//! Only architectural behaviour is compared, not implementation choices where the two
//! legitimately differ: ID registers, GICD_TYPER, ICC_CTLR_ELx.IDbits/nDS, priority bits
//! kept in the distributor, 1-of-N routing (QEMU ignores IRM). QEMU 7.2 does not read
//! ICC_CTLR_EL3.CBPR_EL1S back as written (while applying it), so that read is not
//! compared either.

use lsemu_devices::gic::{CpuCtx, Gic, GicConfig, IccOutcome, SysRegId, GICR_OFFSET};
use lsemu_devices::{IrqBank, IrqLine, Size};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Clone, Copy)]
enum Frame {
    /// GICD.
    D,
    /// GICR RD_base of CPU n.
    R(u8),
    /// GICR SGI_base of CPU n.
    S(u8),
}

#[derive(Clone, Copy)]
enum Op {
    R32(Frame, u64),
    W32(Frame, u64, u32),
    W64(Frame, u64, u64),
    Mrs(&'static str, (u8, u8, u8, u8, u8)),
    Msr(&'static str, (u8, u8, u8, u8, u8), u64),
    /// Leave EL3 for Non-secure EL1 (SCR_EL3.NS = 1, RW = 1; ERET). From then on MMIO is
    /// Non-secure and the CPU interface is accessed from NS EL1.
    ToNsEl1,
    /// Drive the interrupt line of the QEMU virt PL011 (SPI 1 = INTID 33): high by
    /// enabling its transmit interrupt and sending a byte, low by clearing it (UARTICR).
    /// On the model: SPI 1 of the input bank.
    Uart(bool),
    /// From EL2 to Non-secure EL1 with HCR_EL2 = RW | IMO | FMO (PSTATE.DAIF masked): the
    /// ICC_* encodings reach the virtual CPU interface (ICV_*) from then on.
    ToEl1Virt,
    /// Back from EL1 to EL2 (HVC; the EL2 vector continues after it at EL2).
    ToEl2,
}

// System register encodings (op0, op1, CRn, CRm, op2).
const PMR: (u8, u8, u8, u8, u8) = (3, 0, 4, 6, 0);
const IAR0: (u8, u8, u8, u8, u8) = (3, 0, 12, 8, 0);
const EOIR0: (u8, u8, u8, u8, u8) = (3, 0, 12, 8, 1);
const HPPIR0: (u8, u8, u8, u8, u8) = (3, 0, 12, 8, 2);
const BPR0: (u8, u8, u8, u8, u8) = (3, 0, 12, 8, 3);
const AP0R0: (u8, u8, u8, u8, u8) = (3, 0, 12, 8, 4);
const AP1R0: (u8, u8, u8, u8, u8) = (3, 0, 12, 9, 0);
const DIR: (u8, u8, u8, u8, u8) = (3, 0, 12, 11, 1);
const RPR: (u8, u8, u8, u8, u8) = (3, 0, 12, 11, 3);
const SGI1R: (u8, u8, u8, u8, u8) = (3, 0, 12, 11, 5);
const ASGI1R: (u8, u8, u8, u8, u8) = (3, 0, 12, 11, 6);
const SGI0R: (u8, u8, u8, u8, u8) = (3, 0, 12, 11, 7);
const IAR1: (u8, u8, u8, u8, u8) = (3, 0, 12, 12, 0);
const EOIR1: (u8, u8, u8, u8, u8) = (3, 0, 12, 12, 1);
const HPPIR1: (u8, u8, u8, u8, u8) = (3, 0, 12, 12, 2);
const BPR1: (u8, u8, u8, u8, u8) = (3, 0, 12, 12, 3);
const IGRPEN0: (u8, u8, u8, u8, u8) = (3, 0, 12, 12, 6);
const IGRPEN1: (u8, u8, u8, u8, u8) = (3, 0, 12, 12, 7);
const CTLR_EL3: (u8, u8, u8, u8, u8) = (3, 6, 12, 12, 4);
const SRE_EL3: (u8, u8, u8, u8, u8) = (3, 6, 12, 12, 5);
const IGRPEN1_EL3: (u8, u8, u8, u8, u8) = (3, 6, 12, 12, 7);

fn script() -> Vec<Op> {
    use Frame::*;
    use Op::*;
    vec![
        // Distributor: affinity routing, all three groups enabled (Secure view).
        W32(D, 0x0, 0x37),
        R32(D, 0x0),
        // Wake the redistributor.
        W32(R(0), 0x14, 0),
        R32(R(0), 0x14),
        // INTID 40: Group 1 NS, 41: Group 0, 42: Group 1 Secure, 43: Group 0.
        W32(D, 0x84, 1 << 8),
        W32(D, 0xD04, 1 << 10),
        R32(D, 0x84),
        R32(D, 0xD04),
        W32(D, 0x428, 0x2060_4080),
        W64(D, 0x6000 + 8 * 40, 0),
        W64(D, 0x6000 + 8 * 41, 0),
        W64(D, 0x6000 + 8 * 42, 0),
        W64(D, 0x6000 + 8 * 43, 0),
        R32(D, 0x6000 + 8 * 42),
        W32(D, 0xC08, 2 << 16), // INTID 40 edge
        R32(D, 0xC08),
        W32(D, 0x104, 0x700),
        R32(D, 0x104),
        R32(D, 0x184),
        W32(D, 0x204, 0x700),
        R32(D, 0x204),
        // CPU interface at EL3.
        Msr("ICC_SRE_EL3", SRE_EL3, 0xf),
        Mrs("ICC_SRE_EL3", SRE_EL3),
        Mrs("ICC_RPR_EL1", RPR),
        Mrs("ICC_BPR0_EL1", BPR0),
        Mrs("ICC_BPR1_EL1", BPR1),
        Msr("ICC_BPR0_EL1", BPR0, 0),
        Msr("ICC_BPR1_EL1", BPR1, 0),
        Mrs("ICC_BPR0_EL1", BPR0),
        Mrs("ICC_BPR1_EL1", BPR1),
        Msr("ICC_PMR_EL1", PMR, 0xff),
        Mrs("ICC_PMR_EL1", PMR),
        Mrs("ICC_HPPIR0_EL1", HPPIR0),
        Msr("ICC_IGRPEN0_EL1", IGRPEN0, 1),
        Msr("ICC_IGRPEN1_EL3", IGRPEN1_EL3, 3),
        Mrs("ICC_IGRPEN1_EL3", IGRPEN1_EL3),
        Mrs("ICC_IGRPEN1_EL1", IGRPEN1),
        Mrs("ICC_HPPIR0_EL1", HPPIR0),
        Mrs("ICC_HPPIR1_EL1", HPPIR1),
        Mrs("ICC_IAR1_EL1", IAR1),
        Mrs("ICC_IAR0_EL1", IAR0),
        Mrs("ICC_RPR_EL1", RPR),
        Mrs("ICC_AP0R0_EL1", AP0R0),
        Mrs("ICC_HPPIR0_EL1", HPPIR0),
        Mrs("ICC_HPPIR1_EL1", HPPIR1),
        Mrs("ICC_IAR1_EL1", IAR1),
        R32(D, 0x304),
        R32(D, 0x204),
        Msr("ICC_EOIR0_EL1", EOIR0, 41),
        Mrs("ICC_RPR_EL1", RPR),
        R32(D, 0x304),
        Mrs("ICC_IAR1_EL1", IAR1),
        Mrs("ICC_AP1R0_EL1", AP1R0),
        Mrs("ICC_RPR_EL1", RPR),
        Mrs("ICC_IAR1_EL1", IAR1),
        Msr("ICC_EOIR1_EL1", EOIR1, 42),
        Mrs("ICC_AP1R0_EL1", AP1R0),
        R32(D, 0x304),
        // Group 1 Non-secure at EL3: acknowledged through IAR1; the Secure EOIR1 does not
        // match its group.
        Mrs("ICC_IAR1_EL1", IAR1),
        Mrs("ICC_RPR_EL1", RPR),
        Mrs("ICC_AP1R0_EL1", AP1R0),
        Msr("ICC_EOIR1_EL1", EOIR1, 40),
        Mrs("ICC_RPR_EL1", RPR),
        R32(D, 0x304),
        R32(D, 0x204),
        // Split priority drop / deactivation at EL3 (ICC_CTLR_EL3.EOImode_EL3), with a
        // Group 0 interrupt that preempts the active Group 1 NS one.
        Msr("ICC_CTLR_EL3", CTLR_EL3, 1 << 2),
        W32(D, 0x104, 1 << 11),
        W32(D, 0x204, 1 << 11),
        Mrs("ICC_HPPIR0_EL1", HPPIR0),
        Mrs("ICC_IAR0_EL1", IAR0),
        Mrs("ICC_RPR_EL1", RPR),
        Mrs("ICC_AP0R0_EL1", AP0R0),
        Msr("ICC_EOIR0_EL1", EOIR0, 43),
        Mrs("ICC_RPR_EL1", RPR),
        R32(D, 0x304),
        Msr("ICC_DIR_EL1", DIR, 43),
        R32(D, 0x304),
        Msr("ICC_DIR_EL1", DIR, 40),
        R32(D, 0x304),
        // Priority masking.
        Msr("ICC_PMR_EL1", PMR, 0x20),
        W32(D, 0x204, 1 << 11),
        Mrs("ICC_HPPIR0_EL1", HPPIR0),
        Mrs("ICC_IAR0_EL1", IAR0),
        Msr("ICC_PMR_EL1", PMR, 0x28),
        Mrs("ICC_IAR0_EL1", IAR0),
        Msr("ICC_EOIR0_EL1", EOIR0, 43),
        Msr("ICC_DIR_EL1", DIR, 43),
        Msr("ICC_PMR_EL1", PMR, 0xff),
        // SGIs from EL3: SGI 1 Group 1 Secure, SGI 2 and 3 Group 0, SGI 4 Group 1 NS.
        W32(S(0), 0x80, 1 << 4),
        W32(S(0), 0xD00, 1 << 1),
        R32(S(0), 0x80),
        R32(S(0), 0xD00),
        R32(S(0), 0xC00),
        W32(S(0), 0x100, 0x1e),
        Msr("ICC_SGI1R_EL1", SGI1R, 1 << 24 | 1),
        R32(S(0), 0x200),
        Msr("ICC_SGI0R_EL1", SGI0R, 2 << 24 | 1),
        R32(S(0), 0x200),
        Msr("ICC_ASGI1R_EL1", ASGI1R, 3 << 24 | 1),
        R32(S(0), 0x200),
        Msr("ICC_ASGI1R_EL1", ASGI1R, 4 << 24 | 1),
        R32(S(0), 0x200),
        Msr("ICC_SGI1R_EL1", SGI1R, 4 << 24 | 1),
        Msr("ICC_SGI1R_EL1", SGI1R, 5 << 24 | 2), // Aff0 = 1: no such PE
        R32(S(0), 0x200),
        Mrs("ICC_IAR0_EL1", IAR0),
        Mrs("ICC_IAR1_EL1", IAR1),
        Msr("ICC_EOIR1_EL1", EOIR1, 1),
        Msr("ICC_DIR_EL1", DIR, 1),
        Msr("ICC_EOIR0_EL1", EOIR0, 2),
        Msr("ICC_DIR_EL1", DIR, 2),
        Mrs("ICC_IAR1_EL1", IAR1),
        Mrs("ICC_HPPIR1_EL1", HPPIR1),
        R32(S(0), 0x200),
        R32(S(0), 0x300),
        // Clear-pending and clear-enable.
        W32(S(0), 0x280, 0x1e),
        W32(S(0), 0x380, 0x1e),
        R32(S(0), 0x200),
        R32(S(0), 0x300),
        W32(D, 0x184, 0x700),
        R32(D, 0x104),
        Mrs("ICC_RPR_EL1", RPR),
        // ---- Non-secure EL1 (what Linux sees with DS = 0) ----
        W32(D, 0x380, 0xffff_ffff),
        W32(D, 0x384, 0xffff_ffff),
        W32(D, 0x284, 0xffff_ffff),
        Msr("ICC_CTLR_EL3", CTLR_EL3, 0),
        // ICC_DIR_EL1 needs EOImode = 1 for the current EL.
        W32(D, 0x104, 1 << 9),
        W32(D, 0x204, 1 << 9),
        Mrs("ICC_IAR0_EL1", IAR0),
        Msr("ICC_EOIR0_EL1", EOIR0, 41),
        W32(D, 0x304, 1 << 9),
        R32(D, 0x304),
        Msr("ICC_DIR_EL1", DIR, 41), // EOImode_EL3 = 0: ignored
        R32(D, 0x304),
        Msr("ICC_CTLR_EL3", CTLR_EL3, 1 << 2),
        Msr("ICC_DIR_EL1", DIR, 41),
        R32(D, 0x304),
        Msr("ICC_CTLR_EL3", CTLR_EL3, 0),
        W32(D, 0x184, 1 << 9),
        ToNsEl1,
        R32(D, 0x0),
        W32(D, 0x0, 0x13),
        R32(D, 0x0),
        R32(D, 0x84),
        W32(D, 0x84, 0xffff_ffff),
        R32(D, 0xD04),
        W32(D, 0x104, 0x700),
        R32(D, 0x104),
        W32(D, 0x428, 0x1111_11a0),
        R32(D, 0x428),
        W32(D, 0xC08, 0xffff_ffff),
        R32(D, 0xC08),
        W64(D, 0x6000 + 8 * 41, 0x0000_0001),
        R32(D, 0x6000 + 8 * 40),
        R32(D, 0x6000 + 8 * 41),
        W32(D, 0xC08, 0),
        Msr("ICC_PMR_EL1", PMR, 0xf0),
        Mrs("ICC_PMR_EL1", PMR),
        Mrs("ICC_BPR1_EL1", BPR1),
        Msr("ICC_BPR1_EL1", BPR1, 0),
        Mrs("ICC_BPR1_EL1", BPR1),
        Msr("ICC_IGRPEN1_EL1", IGRPEN1, 1),
        Mrs("ICC_IGRPEN1_EL1", IGRPEN1),
        Mrs("ICC_RPR_EL1", RPR),
        W32(D, 0x204, 0xffff_ffff),
        R32(D, 0x204),
        Mrs("ICC_HPPIR1_EL1", HPPIR1),
        Mrs("ICC_HPPIR0_EL1", HPPIR0),
        Mrs("ICC_IAR1_EL1", IAR1),
        Mrs("ICC_RPR_EL1", RPR),
        Mrs("ICC_AP1R0_EL1", AP1R0),
        R32(D, 0x304),
        Msr("ICC_EOIR1_EL1", EOIR1, 40),
        Mrs("ICC_RPR_EL1", RPR),
        R32(D, 0x304),
        // Split EOI at NS EL1, as Linux does when booted at EL2.
        Msr("ICC_CTLR_EL1", (3, 0, 12, 12, 4), 2),
        W32(D, 0x204, 1 << 8),
        Mrs("ICC_IAR1_EL1", IAR1),
        Msr("ICC_EOIR1_EL1", EOIR1, 40),
        Mrs("ICC_RPR_EL1", RPR),
        R32(D, 0x304),
        Msr("ICC_DIR_EL1", DIR, 40),
        R32(D, 0x304),
        // With EOImode = 0 a DIR write does nothing.
        W32(D, 0x204, 1 << 8),
        Mrs("ICC_IAR1_EL1", IAR1),
        Msr("ICC_EOIR1_EL1", EOIR1, 40),
        Msr("ICC_CTLR_EL1", (3, 0, 12, 12, 4), 0),
        Msr("ICC_DIR_EL1", DIR, 40),
        R32(D, 0x304),
        Msr("ICC_CTLR_EL1", (3, 0, 12, 12, 4), 2),
        Msr("ICC_DIR_EL1", DIR, 40),
        R32(D, 0x304),
        // SGIs from Non-secure state: Group 0 / Secure ones are not forwarded (NSACR = 0).
        R32(S(0), 0x80),
        R32(S(0), 0x100),
        W32(S(0), 0x100, 0xffff),
        Msr("ICC_SGI0R_EL1", SGI0R, 2 << 24 | 1),
        Msr("ICC_SGI1R_EL1", SGI1R, 1 << 24 | 1),
        Msr("ICC_ASGI1R_EL1", ASGI1R, 1 << 24 | 1),
        Msr("ICC_SGI1R_EL1", SGI1R, 4 << 24 | 1),
        R32(S(0), 0x200),
        Mrs("ICC_IAR1_EL1", IAR1),
        Msr("ICC_EOIR1_EL1", EOIR1, 4),
        Msr("ICC_DIR_EL1", DIR, 4),
        R32(S(0), 0x300),
        Mrs("ICC_RPR_EL1", RPR),
    ]
}

fn sysreg_name(e: (u8, u8, u8, u8, u8)) -> String {
    format!("S{}_{}_C{}_C{}_{}", e.0, e.1, e.2, e.3, e.4)
}

/// The bare-metal C program for QEMU virt (GICD 0x0800_0000, GICR 0x080A_0000).
fn c_program(ops: &[Op]) -> String {
    let base = |f: Frame| match f {
        Frame::D => 0x0800_0000u64,
        Frame::R(n) => 0x080A_0000 + 0x2_0000 * n as u64,
        Frame::S(n) => 0x080B_0000 + 0x2_0000 * n as u64,
    };
    let mut c = String::from(concat!(
        "#include \"semihost.h\"\n",
        // Entry: CPU 0 runs the script; the others (QEMU starts them all at the ELF entry)
        // wait forever: their redistributors are still visible through MMIO.
        "__asm__(\".section .text.boot, \\\"ax\\\"\\n.global _start\\n_start:\\n\"\n",
        "        \"mrs x0, mpidr_el1\\n and x0, x0, #0xffffff\\n cbz x0, 2f\\n1: wfe\\n b 1b\\n\"\n",
        "        \"2: ldr x0, =__stack_top\\n mov sp, x0\\n ldr x0, =__bss_start\\n ldr x1, =__bss_end\\n\"\n",
        "        \"3: cmp x0, x1\\n b.hs 4f\\n str xzr, [x0], #8\\n b 3b\\n4: bl main\\n bl sh_exit\\n5: b 5b\\n\"\n",
        "        \".ltorg\\n\"\n",
        // EL2 vectors for ToEl2: every entry continues at ELR_EL2, at EL2, with SP = x0.
        "        \".balign 2048\\nel2_vectors:\\n.rept 16\\nmov sp, x0\\nmrs x17, elr_el2\\nbr x17\\n.balign 128\\n.endr\\n\"\n",
        "        \".text\\n\");\n",
        "extern char el2_vectors[];\n",
        "static void __attribute__((noinline)) to_el1_virt(void)\n{\n",
        "    __asm__ volatile(\"msr vbar_el2, %0; mov x0, sp; msr sp_el1, x0; mov x0, #0x18; orr x0, x0, #0x80000000;\"\n",
        "                     \"msr hcr_el2, x0; mov x0, #0x3c5; msr spsr_el2, x0; adr x0, 1f; msr elr_el2, x0; isb; eret; 1:\"\n",
        "                     :: \"r\"(el2_vectors) : \"x0\", \"memory\");\n}\n",
        "static void __attribute__((noinline)) to_el2(void)\n{\n",
        "    __asm__ volatile(\"mov x0, sp; hvc #0\" ::: \"x0\", \"x17\", \"memory\");\n}\n",
        "static void __attribute__((noinline)) to_ns_el1(void)\n{\n",
        "    __asm__ volatile(\"mov x0, sp; msr sp_el1, x0; mov x0, #0x431; msr scr_el3, x0;\"\n",
        "                     \"mov x0, #0x3c5; msr spsr_el3, x0; adr x0, 1f; msr elr_el3, x0; isb; eret; 1:\"\n",
        "                     ::: \"x0\", \"memory\");\n}\n",
        "int main(void)\n{\n    uint64_t v;\n    (void)v;\n",
    ));
    for (i, op) in ops.iter().enumerate() {
        match *op {
            Op::R32(f, off) => {
                let _ = writeln!(c, "    v = *(volatile uint32_t *){:#x}UL;", base(f) + off);
                let _ = writeln!(c, "    sh_printf(\"{i} %lx\\n\", v);");
            }
            Op::W32(f, off, v) => {
                let _ = writeln!(c, "    *(volatile uint32_t *){:#x}UL = {v:#x}U;", base(f) + off);
            }
            Op::W64(f, off, v) => {
                let _ = writeln!(c, "    *(volatile uint64_t *){:#x}UL = {v:#x}UL;", base(f) + off);
            }
            Op::Mrs(_, e) => {
                let _ = writeln!(c, "    __asm__ volatile(\"isb; mrs %0, {}\" : \"=r\"(v));", sysreg_name(e));
                let _ = writeln!(c, "    sh_printf(\"{i} %lx\\n\", v);");
            }
            Op::Msr(_, e, v) => {
                let _ = writeln!(
                    c,
                    "    __asm__ volatile(\"msr {}, %0; isb\" :: \"r\"({v:#x}UL) : \"memory\");",
                    sysreg_name(e)
                );
            }
            Op::ToNsEl1 => c.push_str("    to_ns_el1();\n"),
            Op::ToEl1Virt => c.push_str("    to_el1_virt();\n"),
            Op::ToEl2 => c.push_str("    to_el2();\n"),
            Op::Uart(true) => {
                c.push_str("    *(volatile uint32_t *)0x09000038UL = 0x20;\n");
                c.push_str("    *(volatile uint32_t *)0x09000000UL = '.';\n");
            }
            Op::Uart(false) => c.push_str("    *(volatile uint32_t *)0x09000044UL = 0x7ff;\n"),
        }
        c.push_str("    __asm__ volatile(\"dsb sy\" ::: \"memory\");\n");
    }
    c.push_str("    return 0;\n}\n");
    c
}

/// The same script on the model: `cpus` CPUs with MPIDR Aff0 = index (QEMU virt with
/// GICv3 puts up to 16 PEs in cluster 0), 256 SPIs, DS = 0; accesses Secure and at EL3
/// until `ToNsEl1`.
fn model_output(ops: &[Op], cpus: u64, secure: bool, start_el2: bool) -> String {
    let bank = IrqBank::new(256);
    let cfg = GicConfig { mpidrs: (0..cpus).collect(), num_spis: 256, security_disabled: !secure };
    let uart = IrqLine::new(bank.clone(), 1);
    let mut g = Gic::new(&cfg, bank);
    let off = |f: Frame, o: u64| match f {
        Frame::D => o,
        Frame::R(n) => GICR_OFFSET + 0x2_0000 * n as u64 + o,
        Frame::S(n) => GICR_OFFSET + 0x2_0000 * n as u64 + 0x1_0000 + o,
    };
    let mut out = String::new();
    let (mut ctx, mut sec) = if secure { (CpuCtx::EL3, true) } else { (CpuCtx::NS_EL1, false) };
    if start_el2 {
        ctx = CpuCtx::NS_EL2;
    }
    // HCR_EL2 as it applies to the accesses (IMO | FMO at EL1 after ToEl1Virt).
    let mut hcr = 0u64;
    for (i, op) in ops.iter().enumerate() {
        match *op {
            Op::ToNsEl1 => (ctx, sec) = (CpuCtx::NS_EL1, false),
            Op::ToEl1Virt => (ctx, hcr) = (CpuCtx::NS_EL1, 1 << 31 | 0x18),
            Op::ToEl2 => (ctx, hcr) = (CpuCtx::NS_EL2, 0),
            Op::Uart(level) => uart.set_level(level),
            Op::R32(f, o) => {
                let v = g.read_attr(off(f, o), Size::B4, sec).unwrap();
                let _ = writeln!(out, "{i} {v:x}");
            }
            Op::W32(f, o, v) => g.write_attr(off(f, o), Size::B4, v as u64, sec).unwrap(),
            Op::W64(f, o, v) => g.write_attr(off(f, o), Size::B8, v, sec).unwrap(),
            Op::Mrs(name, e) => {
                let v = match g.icc_access_virt(0, ctx, hcr, SysRegId::new(e.0, e.1, e.2, e.3, e.4), None) {
                    IccOutcome::Value(v) => v,
                    o => panic!("{name}: {o:?} in the model"),
                };
                let _ = writeln!(out, "{i} {v:x}");
            }
            Op::Msr(name, e, v) => {
                let r = g.icc_access_virt(0, ctx, hcr, SysRegId::new(e.0, e.1, e.2, e.3, e.4), Some(v));
                assert_eq!(r, IccOutcome::Value(0), "{name} in the model");
            }
        }
    }
    out
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Builds and runs `ops` under QEMU with `cpus` PEs and on the model; returns the
/// differences.
fn run_compare(name: &str, ops: &[Op], cpus: u64, secure: bool) {
    run_compare_on(name, ops, cpus, secure, false)
}

/// `run_compare`; with `virt`, QEMU's virt board has virtualization=on (and secure=off: the
/// PE starts at EL2), and the model starts at Non-secure EL2.
fn run_compare_on(name: &str, ops: &[Op], cpus: u64, secure: bool, virt: bool) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gic_qemu");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, c_program(ops)).unwrap();
    let lib = repo().join("test-suites/baremetal/lib");
    let elf = dir.join(format!("{name}.elf"));
    let st = Command::new("aarch64-linux-gnu-gcc")
        .args(["-O1", "-ffreestanding", "-nostdlib", "-fno-builtin", "-mgeneral-regs-only", "-mstrict-align"])
        .args(["-fno-pic", "-fno-stack-protector", "-static", "-Wl,--build-id=none", "-Wl,-z,noexecstack"])
        .arg("-Wl,--no-warn-rwx-segments")
        .arg(format!("-I{}", lib.display()))
        .arg("-T")
        .arg(lib.join("link.ld"))
        .arg("-o")
        .arg(&elf)
        .arg(lib.join("semihost.c"))
        .arg(&src)
        .status()
        .expect("run aarch64-linux-gnu-gcc (Debian package gcc-aarch64-linux-gnu)");
    assert!(st.success(), "building the GIC script program failed");
    let smp = cpus.to_string();
    let machine = match (secure, virt) {
        (_, true) => "virt,secure=off,virtualization=on,gic-version=3",
        (true, false) => "virt,secure=on,gic-version=3",
        (false, false) => "virt,secure=off,gic-version=3",
    };
    let o = Command::new("timeout")
        .stdin(std::process::Stdio::null())
        .args(["60", "qemu-system-aarch64", "-M", machine, "-cpu", "cortex-a72"])
        .args(["-smp", &smp, "-m", "3G", "-display", "none", "-monitor", "none", "-serial", "none"])
        .args(["-chardev", "stdio,id=sh0", "-semihosting-config", "enable=on,target=native,chardev=sh0", "-kernel"])
        .arg(&elf)
        .output()
        .expect("run qemu-system-aarch64 (Debian package qemu-system-arm)");
    let qemu = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "qemu: {qemu}{}", String::from_utf8_lossy(&o.stderr));
    println!("{qemu}");
    let model = model_output(ops, cpus, secure, virt);
    let mut diffs = Vec::new();
    for (q, m) in qemu.lines().zip(model.lines()) {
        if q != m {
            let i: usize = q.split(' ').next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let what = match ops.get(i) {
                Some(Op::R32(_, off)) => format!("read {off:#x}"),
                Some(Op::Mrs(n, _)) => (*n).to_string(),
                _ => String::new(),
            };
            diffs.push(format!("op {i} ({what}): qemu {q:?}, model {m:?}"));
        }
    }
    assert_eq!(qemu.lines().count(), model.lines().count(), "qemu:\n{qemu}\nmodel:\n{model}");
    assert!(diffs.is_empty(), "differences:\n{}", diffs.join("\n"));
}

#[test]
fn test_gic_script_matches_qemu_gicv3() {
    run_compare("gic_script", &script(), 1, true);
}

/// SGI target decoding (TargetList, Aff1, RS, IRM) and SPI routing by IROUTER with 8 PEs
/// (QEMU virt: MPIDR Aff0 = 0..7 in cluster 0). CPU 0 runs the script; the other PEs'
/// redistributors are read through MMIO.
fn script_smp8() -> Vec<Op> {
    use Frame::*;
    use Op::*;
    let mut v = vec![W32(D, 0x0, 0x37), W32(R(0), 0x14, 0)];
    let read_all = |v: &mut Vec<Op>| {
        for n in 0..8 {
            v.push(R32(S(n), 0x200));
        }
    };
    let clear_all = |v: &mut Vec<Op>| {
        for n in 0..8 {
            v.push(W32(S(n), 0x280, 0xffff));
        }
    };
    for n in 0..8 {
        v.push(W32(S(n), 0xD00, 0xffff)); // SGIs Group 1 Secure
        v.push(W32(S(n), 0x100, 0xffff));
    }
    v.push(W32(S(4), 0xD00, 0xfff7)); // SGI 3 of CPU 4: Group 0
    for sgi in [
        1u64 << 24 | 0b1010_0110, // CPUs 1, 2, 5, 7
        2 << 24 | 1 << 40,        // IRM: all but CPU 0
        3 << 24 | 1 << 16 | 0xff, // Aff1 = 1: nobody
        4 << 24 | 0xff00,         // Aff0 8..15: nobody
        5 << 24 | 1 << 44 | 0xff, // RS = 1 (Aff0 16..): nobody
        6 << 24 | 1 << 32 | 0xff, // Aff2 = 1: nobody
        3 << 24 | 0xff,           // SGI 3: only the Group 1 Secure ones (not CPU 4)
    ] {
        v.push(Msr("ICC_SGI1R_EL1", SGI1R, sgi));
        read_all(&mut v);
        clear_all(&mut v);
    }
    v.push(Msr("ICC_SGI0R_EL1", SGI0R, 3 << 24 | 0xff)); // only CPU 4's SGI 3 is Group 0
    read_all(&mut v);
    clear_all(&mut v);
    // SPI 50 (Group 1 Secure) routed to CPU 3, then to CPU 0.
    v.extend([
        W32(D, 0xD04, 1 << 18),
        W32(D, 0x104, 1 << 18),
        W32(D, 0x204, 1 << 18),
        W64(D, 0x6000 + 8 * 50, 3),
        Msr("ICC_SRE_EL3", SRE_EL3, 0xf),
        Msr("ICC_PMR_EL1", PMR, 0xff),
        Msr("ICC_IGRPEN1_EL3", IGRPEN1_EL3, 3),
        Mrs("ICC_HPPIR1_EL1", HPPIR1),
        Mrs("ICC_IAR1_EL1", IAR1),
        W64(D, 0x6000 + 8 * 50, 0),
        Mrs("ICC_HPPIR1_EL1", HPPIR1),
        Mrs("ICC_IAR1_EL1", IAR1),
        R32(D, 0x304),
        Msr("ICC_EOIR1_EL1", EOIR1, 50),
        R32(D, 0x304),
        R32(D, 0x6000 + 8 * 50),
    ]);
    v
}

#[test]
fn test_gic_smp8_sgi_and_routing_match_qemu_gicv3() {
    run_compare("gic_smp8", &script_smp8(), 8, true);
}

/// Level-sensitive and edge-triggered behaviour of an SPI driven by a real device model
/// (QEMU's PL011 on INTID 33; on our side an `IrqLine` of the input bank): pending follows
/// the line for a level-sensitive interrupt (ICPENDR cannot clear it while asserted;
/// acknowledged while asserted it is active and pending); an edge-triggered one latches a
/// rising edge, even a pulse that is over before the GIC is next accessed.
fn script_lines() -> Vec<Op> {
    use Frame::*;
    use Op::*;
    vec![
        Uart(false),
        W32(D, 0x0, 0x37),
        W32(R(0), 0x14, 0),
        Msr("ICC_SRE_EL3", SRE_EL3, 0xf),
        Msr("ICC_PMR_EL1", PMR, 0xff),
        Msr("ICC_IGRPEN1_EL3", IGRPEN1_EL3, 3),
        W32(D, 0x84, 1 << 1),
        W32(D, 0x420, 0x0000_8000),
        W64(D, 0x6000 + 8 * 33, 0),
        W32(D, 0x104, 1 << 1),
        R32(D, 0x204),
        // Level-sensitive (reset configuration).
        Uart(true),
        R32(D, 0x204),
        W32(D, 0x284, 1 << 1),
        R32(D, 0x204),
        Mrs("ICC_HPPIR1_EL1", HPPIR1),
        Mrs("ICC_IAR1_EL1", IAR1),
        R32(D, 0x204),
        R32(D, 0x304),
        Uart(false),
        R32(D, 0x204),
        Msr("ICC_EOIR1_EL1", EOIR1, 33),
        R32(D, 0x304),
        Mrs("ICC_IAR1_EL1", IAR1),
        // Edge-triggered.
        W32(D, 0xC08, 0x8),
        R32(D, 0xC08),
        Uart(true),
        Uart(false),
        R32(D, 0x204),
        Mrs("ICC_IAR1_EL1", IAR1),
        R32(D, 0x204),
        Msr("ICC_EOIR1_EL1", EOIR1, 33),
        Mrs("ICC_IAR1_EL1", IAR1),
        Uart(true),
        Mrs("ICC_IAR1_EL1", IAR1),
        Msr("ICC_EOIR1_EL1", EOIR1, 33),
        Mrs("ICC_IAR1_EL1", IAR1),
        R32(D, 0x204),
        Uart(false),
        R32(D, 0x204),
        W32(D, 0x204, 1 << 1),
        Mrs("ICC_IAR1_EL1", IAR1),
        Msr("ICC_EOIR1_EL1", EOIR1, 33),
        Mrs("ICC_IAR1_EL1", IAR1),
        // Back to level-sensitive with the line high; disable / enable.
        W32(D, 0xC08, 0),
        Uart(true),
        R32(D, 0x204),
        W32(D, 0x184, 1 << 1),
        R32(D, 0x204),
        Mrs("ICC_HPPIR1_EL1", HPPIR1),
        W32(D, 0x104, 1 << 1),
        Mrs("ICC_HPPIR1_EL1", HPPIR1),
        Uart(false),
        Mrs("ICC_HPPIR1_EL1", HPPIR1),
        R32(D, 0x204),
    ]
}

#[test]
fn test_gic_level_and_edge_spi_match_qemu_gicv3() {
    run_compare("gic_lines", &script_lines(), 1, true);
}

/// Binary points and preemption (IHI 0069 §4.8.3-§4.8.5): group priorities, the active
/// priority registers, the running priority, ICC_CTLR.CBPR, with Group 0 and Group 1
/// Secure interrupts at EL3 and Group 1 Non-secure ones at Non-secure EL1.
fn script_preemption() -> Vec<Op> {
    use Frame::*;
    use Op::*;
    let mut v = vec![
        W32(D, 0x0, 0x37),
        W32(R(0), 0x14, 0),
        Msr("ICC_SRE_EL3", SRE_EL3, 0xf),
        Msr("ICC_PMR_EL1", PMR, 0xff),
        Msr("ICC_IGRPEN0_EL1", IGRPEN0, 1),
        Msr("ICC_IGRPEN1_EL3", IGRPEN1_EL3, 3),
        // INTIDs 64-71: 64-67 Group 1 Secure, 68-71 Group 0.
        W32(D, 0xD08, 0xf),
        // Priorities: 64 0x40, 65 0x50, 66 0x38, 67 0x48, 68 0x60, 69 0x20, 70 0x68, 71 0x58.
        W32(D, 0x440, 0x4838_5040),
        W32(D, 0x444, 0x5868_2060),
        W32(D, 0x108, 0xff),
    ];
    for i in 64..72u64 {
        v.push(W64(D, 0x6000 + 8 * i, 0));
    }
    v.extend([
        Msr("ICC_BPR1_EL1", BPR1, 5),
        Msr("ICC_BPR0_EL1", BPR0, 4),
        Mrs("ICC_BPR1_EL1", BPR1),
        Mrs("ICC_BPR0_EL1", BPR0),
        W32(D, 0x208, 1 << 0),
        Mrs("ICC_IAR1_EL1", IAR1),
        Mrs("ICC_AP1R0_EL1", AP1R0),
        Mrs("ICC_RPR_EL1", RPR),
        W32(D, 0x208, 1 << 1), // 0x50: group priority (Secure BPR1 = 5: bits [7:6]) 0x40: no
        Mrs("ICC_HPPIR1_EL1", HPPIR1),
        Mrs("ICC_IAR1_EL1", IAR1),
        W32(D, 0x208, 1 << 2), // 0x38: group priority 0x00: preempts; running priority 0
        Mrs("ICC_IAR1_EL1", IAR1),
        Mrs("ICC_AP1R0_EL1", AP1R0),
        Mrs("ICC_RPR_EL1", RPR),
        W32(D, 0x208, 1 << 5), // Group 0, 0x20: cannot preempt running priority 0
        Mrs("ICC_HPPIR0_EL1", HPPIR0),
        Mrs("ICC_IAR0_EL1", IAR0),
        Msr("ICC_BPR0_EL1", BPR0, 2),
        Mrs("ICC_IAR0_EL1", IAR0), // still not
        Mrs("ICC_AP0R0_EL1", AP0R0),
        Mrs("ICC_RPR_EL1", RPR),
        Msr("ICC_EOIR0_EL1", EOIR0, 69),
        Msr("ICC_EOIR1_EL1", EOIR1, 66),
        Mrs("ICC_RPR_EL1", RPR),
        Mrs("ICC_AP1R0_EL1", AP1R0),
        Msr("ICC_EOIR1_EL1", EOIR1, 64),
        Mrs("ICC_RPR_EL1", RPR),
        Mrs("ICC_IAR1_EL1", IAR1),
        Msr("ICC_EOIR1_EL1", EOIR1, 65),
        R32(D, 0x308),
        // CBPR_EL1S: BPR0 governs Group 1 Secure too; BPR1 reads BPR0.
        Msr("ICC_BPR0_EL1", BPR0, 6),
        Msr("ICC_CTLR_EL3", CTLR_EL3, 1),
        Mrs("ICC_BPR1_EL1", BPR1),      // at EL3: the Secure copy itself, no CBPR alias
        W32(D, 0x208, 1 << 3 | 1 << 4), // 67 (G1S 0x48) and 68 (G0 0x60)
        Mrs("ICC_IAR1_EL1", IAR1),
        Mrs("ICC_AP1R0_EL1", AP1R0),
        Mrs("ICC_RPR_EL1", RPR),
        Mrs("ICC_HPPIR0_EL1", HPPIR0),
        Mrs("ICC_IAR0_EL1", IAR0),
        Msr("ICC_EOIR1_EL1", EOIR1, 67),
        Mrs("ICC_IAR0_EL1", IAR0),
        Mrs("ICC_AP0R0_EL1", AP0R0),
        Msr("ICC_EOIR0_EL1", EOIR0, 68),
        Mrs("ICC_RPR_EL1", RPR),
        Msr("ICC_CTLR_EL3", CTLR_EL3, 0),
        Msr("ICC_BPR0_EL1", BPR0, 2),
        // Group 1 Non-secure at NS EL1: BPR1 (NS copy) and CBPR_EL1NS.
        W32(D, 0x8C, 0xff),         // INTIDs 96-103 Group 1 NS
        W32(D, 0x460, 0x6050_4030), // NS view is applied below; these are Secure writes
        W32(D, 0x10C, 0xf),
    ]);
    for i in 96..100u64 {
        v.push(W64(D, 0x6000 + 8 * i, 0));
    }
    v.extend([
        ToNsEl1,
        Msr("ICC_PMR_EL1", PMR, 0xff),
        Msr("ICC_IGRPEN1_EL1", IGRPEN1, 1),
        Mrs("ICC_BPR1_EL1", BPR1),
        Msr("ICC_BPR1_EL1", BPR1, 6),
        Mrs("ICC_BPR1_EL1", BPR1),
        W32(D, 0x20C, 1 << 1), // 97: 0x40
        Mrs("ICC_IAR1_EL1", IAR1),
        Mrs("ICC_AP1R0_EL1", AP1R0),
        Mrs("ICC_RPR_EL1", RPR),
        W32(D, 0x20C, 1 << 0), // 96: 0x30, group priority 0x00 with BPR1 = 6: no
        Mrs("ICC_IAR1_EL1", IAR1),
        Msr("ICC_BPR1_EL1", BPR1, 3),
        Mrs("ICC_IAR1_EL1", IAR1), // 0x30 (group 0x30) preempts 0x40 now
        Mrs("ICC_AP1R0_EL1", AP1R0),
        Mrs("ICC_RPR_EL1", RPR),
        Msr("ICC_EOIR1_EL1", EOIR1, 96),
        Msr("ICC_EOIR1_EL1", EOIR1, 97),
        Mrs("ICC_RPR_EL1", RPR),
        Mrs("ICC_AP1R0_EL1", AP1R0),
        R32(D, 0x30C),
    ]);
    v
}

#[test]
fn test_gic_preemption_matches_qemu_gicv3() {
    run_compare("gic_preempt", &script_preemption(), 1, true);
}

/// A GIC with one Security state (QEMU virt with secure=off: the PE starts at EL1,
/// GICD_CTLR.DS reads 1): every register accessible from Non-secure EL1, Group 0 as FIQ
/// interrupts handled through ICC_IAR0/EOIR0 there.
fn script_single_security() -> Vec<Op> {
    use Frame::*;
    use Op::*;
    let mut v = vec![
        W32(D, 0x0, 0x13),
        R32(D, 0x0),
        R32(R(0), 0x14),
        W32(R(0), 0x14, 0),
        R32(R(0), 0x14),
        W32(D, 0x84, 1 << 8 | 1 << 10), // 40, 42 Group 1; 41, 43 Group 0
        R32(D, 0x84),
        W32(D, 0xD04, 0xffff_ffff), // IGRPMODR: RAZ/WI with DS = 1
        R32(D, 0xD04),
        W32(D, 0x428, 0x2060_4080),
        R32(D, 0x428),
        W32(D, 0x104, 0xf00),
        Mrs("ICC_SRE_EL1", (3, 0, 12, 12, 5)),
        Msr("ICC_PMR_EL1", PMR, 0xf0),
        Msr("ICC_IGRPEN0_EL1", IGRPEN0, 1),
        Msr("ICC_IGRPEN1_EL1", IGRPEN1, 1),
        Mrs("ICC_BPR0_EL1", BPR0),
        Mrs("ICC_BPR1_EL1", BPR1),
        W32(D, 0x204, 0xf00),
        Mrs("ICC_HPPIR0_EL1", HPPIR0),
        Mrs("ICC_HPPIR1_EL1", HPPIR1),
        Mrs("ICC_IAR1_EL1", IAR1),
        Mrs("ICC_IAR0_EL1", IAR0),
        Mrs("ICC_RPR_EL1", RPR),
        Mrs("ICC_AP0R0_EL1", AP0R0),
        Mrs("ICC_IAR0_EL1", IAR0),
        Mrs("ICC_HPPIR1_EL1", HPPIR1),
        Msr("ICC_EOIR0_EL1", EOIR0, 43),
        Mrs("ICC_IAR0_EL1", IAR0),
        Msr("ICC_EOIR0_EL1", EOIR0, 41),
        Mrs("ICC_IAR1_EL1", IAR1),
        Mrs("ICC_AP1R0_EL1", AP1R0),
        Mrs("ICC_RPR_EL1", RPR),
        Msr("ICC_EOIR1_EL1", EOIR1, 42),
        Mrs("ICC_IAR1_EL1", IAR1),
        Msr("ICC_EOIR1_EL1", EOIR1, 40),
        Mrs("ICC_RPR_EL1", RPR),
        R32(D, 0x304),
        R32(D, 0x204),
        // SGIs: 1 Group 1, 2 Group 0.
        W32(S(0), 0x80, 1 << 1),
        W32(S(0), 0x100, 0x6),
        Msr("ICC_SGI1R_EL1", SGI1R, 1 << 24 | 1),
        Msr("ICC_SGI1R_EL1", SGI1R, 2 << 24 | 1),
        R32(S(0), 0x200),
        Msr("ICC_SGI0R_EL1", SGI0R, 2 << 24 | 1),
        Msr("ICC_SGI0R_EL1", SGI0R, 1 << 24 | 1),
        R32(S(0), 0x200),
        Mrs("ICC_IAR0_EL1", IAR0),
        Mrs("ICC_IAR1_EL1", IAR1),
        Msr("ICC_CTLR_EL1", (3, 0, 12, 12, 4), 2),
        Msr("ICC_EOIR1_EL1", EOIR1, 1),
        Msr("ICC_EOIR0_EL1", EOIR0, 2),
        R32(S(0), 0x300),
        Msr("ICC_DIR_EL1", DIR, 2),
        Msr("ICC_DIR_EL1", DIR, 1),
        R32(S(0), 0x300),
        Mrs("ICC_RPR_EL1", RPR),
    ];
    v.push(R32(S(0), 0x80));
    v
}

#[test]
fn test_gic_single_security_state_matches_qemu_gicv3() {
    run_compare("gic_ds1", &script_single_security(), 1, false);
}

// ICH_*_EL2 encodings (IHI 0069 §12.1).
const ICH_AP0R0: (u8, u8, u8, u8, u8) = (3, 4, 12, 8, 0);
const ICH_AP1R0: (u8, u8, u8, u8, u8) = (3, 4, 12, 9, 0);
const ICH_HCR: (u8, u8, u8, u8, u8) = (3, 4, 12, 11, 0);
const ICH_MISR: (u8, u8, u8, u8, u8) = (3, 4, 12, 11, 2);
const ICH_EISR: (u8, u8, u8, u8, u8) = (3, 4, 12, 11, 3);
const ICH_ELRSR: (u8, u8, u8, u8, u8) = (3, 4, 12, 11, 5);
const ICH_VMCR: (u8, u8, u8, u8, u8) = (3, 4, 12, 11, 7);
const fn ich_lr(n: u8) -> (u8, u8, u8, u8, u8) {
    (3, 4, 12, 12, n)
}

/// GICv3 virtualization (IHI 0069 chapter 6): the hypervisor programs the list registers at
/// EL2, the "guest" at EL1 (HCR_EL2.IMO/FMO = 1) acknowledges and completes them through the
/// ICV_* view of the ICC_* encodings, then EL2 reads the list registers, ELRSR, EISR, MISR
/// and EOIcount back. An HW = 1 LR deactivates a physical SPI on EOI.
/// The reset value of ICH_VMCR_EL2 is UNKNOWN architecturally; both use the written-zero
/// value (VFIQEn RES1, minimum binary points).
/// Not compared (they legitimately differ): ICH_VTR_EL2 and ICV_CTLR_EL1 (QEMU reports
/// IDbits = 24 bits and TDS = 1; the Cortex-A72 has 16 bits and no TDS), ICH_HCR_EL2.TDIR.
fn script_virt() -> Vec<Op> {
    use Frame::*;
    use Op::*;
    // LR fields: State [63:62], HW [61], Group [60], Priority [55:48], pINTID [44:32]
    // (bit 41 = EOI maintenance with HW = 0), vINTID [31:0].
    let lr = |state: u64, hw: u64, g1: u64, prio: u64, pintid: u64, vintid: u64| {
        state << 62 | hw << 61 | g1 << 60 | prio << 48 | pintid << 32 | vintid
    };
    let mut v = vec![
        // Physical GIC (DS = 1): distributor on, redistributor awake, SPI 50 (INTID 82)
        // Group 1 and active (for the HW = 1 list register).
        W32(D, 0x0, 0x13),
        W32(R(0), 0x14, 0),
        W32(D, 0x88, 1 << 18),
        W32(D, 0x308, 1 << 18),
        R32(D, 0x308),
        Msr("ICC_PMR_EL1", PMR, 0xf0),
        // Reset values and write masks.
        Mrs("ICH_HCR_EL2", ICH_HCR),
        Mrs("ICH_VMCR_EL2", ICH_VMCR),
        Mrs("ICH_ELRSR_EL2", ICH_ELRSR),
        Msr("ICH_VMCR_EL2", ICH_VMCR, 0),
        Mrs("ICH_VMCR_EL2", ICH_VMCR),
        // VPMR [31:24] keeps 5 bits here (ICV_PMR_EL1 alias, unimplemented bits RAZ/WI);
        // QEMU 7.2 stores all 8 bits through ICH_VMCR_EL2: only implemented bits written.
        Msr("ICH_VMCR_EL2", ICH_VMCR, 0xf8ff_ffff),
        Mrs("ICH_VMCR_EL2", ICH_VMCR),
        Msr("ICH_HCR_EL2", ICH_HCR, 0xf800_1cff),
        Mrs("ICH_HCR_EL2", ICH_HCR),
        Msr("ICH_AP1R0_EL2", ICH_AP1R0, 0x8000_0001),
        Mrs("ICH_AP1R0_EL2", ICH_AP1R0),
        Msr("ICH_AP1R0_EL2", ICH_AP1R0, 0),
        // List registers.
        Msr("ICH_LR0_EL2", ich_lr(0), lr(1, 0, 1, 0xA7, 0, 40)),
        Msr("ICH_LR1_EL2", ich_lr(1), lr(1, 0, 1, 0x40, 0, 41)),
        Msr("ICH_LR2_EL2", ich_lr(2), lr(1, 1, 1, 0x60, 82, 27)),
        Msr("ICH_LR3_EL2", ich_lr(3), lr(1, 0, 0, 0x10, 0, 50) | 1 << 41),
        Mrs("ICH_LR0_EL2", ich_lr(0)),
        Mrs("ICH_LR3_EL2", ich_lr(3)),
        Mrs("ICH_ELRSR_EL2", ICH_ELRSR),
        Mrs("ICH_EISR_EL2", ICH_EISR),
        Msr("ICH_HCR_EL2", ICH_HCR, 0x1 | 0x2 | 0x8 | 0x10 | 0x20 | 0x40 | 0x80 | 0x4),
        Mrs("ICH_MISR_EL2", ICH_MISR),
        // VPMR 0xF8, VBPR0 2, VBPR1 3, VENG0 = VENG1 = 1.
        Msr("ICH_VMCR_EL2", ICH_VMCR, 0xf8 << 24 | 2 << 21 | 3 << 18 | 3),
        Mrs("ICH_MISR_EL2", ICH_MISR),
        ToEl1Virt,
        Mrs("ICV_PMR_EL1", PMR),
        Mrs("ICV_HPPIR1_EL1", HPPIR1),
        Mrs("ICV_HPPIR0_EL1", HPPIR0),
        Mrs("ICV_IAR1_EL1", IAR1),
        Mrs("ICV_IAR0_EL1", IAR0),
        Mrs("ICV_AP0R0_EL1", AP0R0),
        Mrs("ICV_RPR_EL1", RPR),
        Mrs("ICV_IAR1_EL1", IAR1),
        Msr("ICV_EOIR0_EL1", EOIR0, 50),
        Mrs("ICV_RPR_EL1", RPR),
        Mrs("ICV_IAR1_EL1", IAR1),
        Mrs("ICV_AP1R0_EL1", AP1R0),
        Mrs("ICV_IAR1_EL1", IAR1),
        Msr("ICV_EOIR1_EL1", EOIR1, 41),
        Mrs("ICV_IAR1_EL1", IAR1),
        R32(D, 0x308),
        Msr("ICV_EOIR1_EL1", EOIR1, 27),
        R32(D, 0x308),
        Mrs("ICV_IAR1_EL1", IAR1),
        Msr("ICV_EOIR1_EL1", EOIR1, 99),
        Mrs("ICV_RPR_EL1", RPR),
        Mrs("ICV_AP1R0_EL1", AP1R0),
        Msr("ICV_BPR1_EL1", BPR1, 0),
        Mrs("ICV_BPR1_EL1", BPR1),
        Msr("ICV_BPR0_EL1", BPR0, 4),
        Mrs("ICV_BPR0_EL1", BPR0),
        Msr("ICV_PMR_EL1", PMR, 0x80),
        Mrs("ICV_PMR_EL1", PMR),
        Msr("ICV_IGRPEN0_EL1", IGRPEN0, 0),
        Mrs("ICV_IGRPEN0_EL1", IGRPEN0),
        Mrs("ICV_IGRPEN1_EL1", IGRPEN1),
        // QEMU 7.2 computes ICH_MISR_EL2.VGrp0D from VENG1 instead of VENG0 (IHI 0069
        // ICH_MISR_EL2: VGrp0DIE == 1 && VENG0 == 0): MISR is read with VENG0 == VENG1.
        Msr("ICV_IGRPEN0_EL1", IGRPEN0, 1),
        ToEl2,
    ];
    for n in 0..4 {
        v.push(Mrs("ICH_LRn_EL2", ich_lr(n)));
    }
    v.extend([
        Mrs("ICH_ELRSR_EL2", ICH_ELRSR),
        Mrs("ICH_EISR_EL2", ICH_EISR),
        Mrs("ICH_MISR_EL2", ICH_MISR),
        Mrs("ICH_HCR_EL2", ICH_HCR),
        Mrs("ICH_VMCR_EL2", ICH_VMCR),
        Mrs("ICH_AP0R0_EL2", ICH_AP0R0),
        Mrs("ICH_AP1R0_EL2", ICH_AP1R0),
        Mrs("ICC_PMR_EL1", PMR),
        // Split EOI (VEOIM = 1): EOIR drops the priority, DIR deactivates; a DIR of a
        // vINTID no LR holds increments EOIcount.
        Msr("ICH_VMCR_EL2", ICH_VMCR, 0xf8 << 24 | 2 << 21 | 3 << 18 | 1 << 9 | 3),
        Msr("ICH_HCR_EL2", ICH_HCR, 1),
        Msr("ICH_LR0_EL2", ich_lr(0), lr(1, 0, 1, 0x50, 0, 60)),
        Msr("ICH_LR1_EL2", ich_lr(1), lr(3, 0, 1, 0x58, 0, 61)),
        Msr("ICH_LR2_EL2", ich_lr(2), 0),
        Msr("ICH_LR3_EL2", ich_lr(3), 0),
        ToEl1Virt,
        Mrs("ICV_IAR1_EL1", IAR1),
        Msr("ICV_EOIR1_EL1", EOIR1, 60),
        Mrs("ICV_RPR_EL1", RPR),
        Mrs("ICV_HPPIR1_EL1", HPPIR1),
        Msr("ICV_DIR_EL1", DIR, 61),
        Msr("ICV_DIR_EL1", DIR, 62),
        ToEl2,
        Mrs("ICH_LR0_EL2", ich_lr(0)),
        Mrs("ICH_LR1_EL2", ich_lr(1)),
        Mrs("ICH_HCR_EL2", ICH_HCR),
        ToEl1Virt,
        Msr("ICV_DIR_EL1", DIR, 60),
        Mrs("ICV_IAR1_EL1", IAR1),
        ToEl2,
        Mrs("ICH_LR0_EL2", ich_lr(0)),
        Mrs("ICH_LR1_EL2", ich_lr(1)),
        Mrs("ICH_ELRSR_EL2", ICH_ELRSR),
        Mrs("ICH_AP1R0_EL2", ICH_AP1R0),
    ]);
    v
}

#[test]
fn test_gic_virtualization_matches_qemu_gicv3() {
    run_compare_on("gic_virt", &script_virt(), 1, false, true);
}

/// Virtual preemption (IHI 0069 §4.8 applied to the virtual interface): VPMR masking,
/// group priorities with VBPR1 and VBPR0 (and VCBPR), nested acknowledges and the active
/// priority registers, and a vLPI (vINTID >= 8192), whose LR becomes invalid when
/// acknowledged.
fn script_virt_preemption() -> Vec<Op> {
    use Op::*;
    let lr = |state: u64, g1: u64, prio: u64, vintid: u64| state << 62 | g1 << 60 | prio << 48 | vintid;
    vec![
        W32(Frame::D, 0x0, 0x13),
        Msr("ICH_HCR_EL2", ICH_HCR, 1),
        // VPMR 0x60, VBPR1 5 (group priority bits [7:5]), VENG1.
        Msr("ICH_VMCR_EL2", ICH_VMCR, 0x60 << 24 | 2 << 21 | 5 << 18 | 2),
        Msr("ICH_LR0_EL2", ich_lr(0), lr(1, 1, 0x68, 100)),
        Msr("ICH_LR1_EL2", ich_lr(1), lr(1, 1, 0x50, 101)),
        Msr("ICH_LR2_EL2", ich_lr(2), lr(1, 1, 0x48, 102)),
        Msr("ICH_LR3_EL2", ich_lr(3), lr(1, 1, 0x20, 8200)),
        ToEl1Virt,
        Mrs("ICV_HPPIR1_EL1", HPPIR1),
        Mrs("ICV_IAR1_EL1", IAR1),
        Mrs("ICV_AP1R0_EL1", AP1R0),
        Mrs("ICV_RPR_EL1", RPR),
        // 0x48: group priority 0x40 with VBPR1 = 5, not higher than 0x20's group (0x20).
        Mrs("ICV_HPPIR1_EL1", HPPIR1),
        Mrs("ICV_IAR1_EL1", IAR1),
        Msr("ICV_BPR1_EL1", BPR1, 3),
        Mrs("ICV_BPR1_EL1", BPR1),
        // Now 0x48 (group 0x48) does not preempt 0x20 either; drop 8200's priority.
        Mrs("ICV_IAR1_EL1", IAR1),
        Msr("ICV_EOIR1_EL1", EOIR1, 8200),
        Mrs("ICV_RPR_EL1", RPR),
        Mrs("ICV_IAR1_EL1", IAR1),
        Mrs("ICV_RPR_EL1", RPR),
        // 0x50 preempts 0x48? No (lower priority). VCBPR: BPR1 reads BPR0 + 1.
        Mrs("ICV_IAR1_EL1", IAR1),
        Msr("ICV_CTLR_EL1", CTLR_EL1, 1),
        Mrs("ICV_BPR1_EL1", BPR1),
        Msr("ICV_BPR0_EL1", BPR0, 7),
        Mrs("ICV_BPR1_EL1", BPR1),
        Msr("ICV_CTLR_EL1", CTLR_EL1, 0),
        Mrs("ICV_BPR1_EL1", BPR1),
        Msr("ICV_EOIR1_EL1", EOIR1, 102),
        Mrs("ICV_IAR1_EL1", IAR1),
        // 0x68 is masked by VPMR 0x60.
        Mrs("ICV_IAR1_EL1", IAR1),
        Msr("ICV_PMR_EL1", PMR, 0x70),
        Mrs("ICV_IAR1_EL1", IAR1),
        Mrs("ICV_AP1R0_EL1", AP1R0),
        Msr("ICV_EOIR1_EL1", EOIR1, 100),
        Msr("ICV_EOIR1_EL1", EOIR1, 101),
        Mrs("ICV_RPR_EL1", RPR),
        ToEl2,
        Mrs("ICH_LR0_EL2", ich_lr(0)),
        Mrs("ICH_LR1_EL2", ich_lr(1)),
        Mrs("ICH_LR2_EL2", ich_lr(2)),
        Mrs("ICH_LR3_EL2", ich_lr(3)),
        Mrs("ICH_ELRSR_EL2", ICH_ELRSR),
        Mrs("ICH_HCR_EL2", ICH_HCR),
        Mrs("ICH_VMCR_EL2", ICH_VMCR),
    ]
}

const CTLR_EL1: (u8, u8, u8, u8, u8) = (3, 0, 12, 12, 4);

#[test]
fn test_gic_virtual_preemption_matches_qemu_gicv3() {
    run_compare_on("gic_virt_preempt", &script_virt_preemption(), 1, false, true);
}
