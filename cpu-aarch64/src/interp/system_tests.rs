//! Tests of the system group. Oracles:
//! - decoding: the GNU assembler (`aarch64-linux-gnu-as`) encodes each instruction; the
//!   decoder must name it as the Arm ARM does, and instructions of later architecture
//!   versions (assembled with `.arch armv8.x-a`) must decode as UNDEFINED;
//! - semantics: expected ESR/ELR/SPSR/vector values worked out by hand from the Arm ARM
//!   pseudo-code (AArch64.TakeException, the instructions' ASL), written in each test.
//!
//! Programs are assembled at test time and run from RAM at `BASE`. Only system
//! instructions are used (the other groups are built in parallel), and the CPU state
//! below EL3 is prepared from Rust. Every vector entry records ESR, ELR, SPSR and FAR
//! of its EL in x10..x13 and stops with `HLT #(EL << 8 | vector index)`.

use crate::exception::ec;
use crate::interp::{self, Exit};
use crate::mmu::TlbiOp;
use crate::platform::{Bus, BusAttrs, BusError, FlatRam, Hooked, IrqLevels, PhysAddr, Platform};
use crate::sysreg::{self, *};
use crate::{decode, Cpu, CpuConfig};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

const BASE: u64 = 0x8000_0000;

/// Assembles `src` with the GNU assembler and returns the words of `.text`.
fn assemble(src: &str) -> Vec<u32> {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!("lsemu-h6-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    std::fs::create_dir_all(&dir).unwrap();
    let s = dir.join("t.s");
    let o = dir.join("t.o");
    let b = dir.join("t.bin");
    std::fs::write(&s, src).unwrap();
    let st = Command::new("aarch64-linux-gnu-as").arg("-o").arg(&o).arg(&s).output().expect("aarch64-linux-gnu-as");
    assert!(st.status.success(), "as failed: {}", String::from_utf8_lossy(&st.stderr));
    let st = Command::new("aarch64-linux-gnu-objcopy").args(["-O", "binary", "-j", ".text"]).arg(&o).arg(&b).output().unwrap();
    assert!(st.status.success(), "objcopy failed: {}", String::from_utf8_lossy(&st.stderr));
    let bytes = std::fs::read(&b).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    bytes.chunks(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

// ---------------------------------------------------------------------------------------
// Decoding, with the GNU assembler as the oracle
// ---------------------------------------------------------------------------------------

#[test]
fn decode_system_instructions_match_gnu_as() {
    // (assembly, expected table name)
    let cases: &[(&str, &str)] = &[
        ("svc #0", "SVC"),
        ("svc #0xffff", "SVC"),
        ("hvc #1", "HVC"),
        ("smc #0x1234", "SMC"),
        ("brk #3", "BRK"),
        ("hlt #0xf000", "HLT"),
        ("dcps1", "DCPS1"),
        ("dcps2 #5", "DCPS2"),
        ("dcps3", "DCPS3"),
        ("eret", "ERET"),
        ("drps", "DRPS"),
        ("nop", "NOP"),
        ("yield", "YIELD"),
        ("wfe", "WFE"),
        ("wfi", "WFI"),
        ("sev", "SEV"),
        ("sevl", "SEVL"),
        ("hint #6", "HINT"),
        ("hint #16", "HINT"), // ESB (v8.2 RAS): a NOP on the A72
        ("hint #0x7f", "HINT"),
        ("clrex", "CLREX"),
        ("clrex #5", "CLREX"),
        ("dsb sy", "DSB"),
        ("dsb ish", "DSB"),
        ("dsb #0", "DSB"),
        ("dmb ishld", "DMB"),
        ("dmb oshst", "DMB"),
        ("isb", "ISB"),
        ("isb #3", "ISB"),
        ("msr spsel, #1", "MSR_SPSel"),
        ("msr daifset, #0xf", "MSR_DAIFSet"),
        ("msr daifclr, #2", "MSR_DAIFClr"),
        ("ic ialluis", "SYS"),
        ("ic ivau, x3", "SYS"),
        ("dc zva, x0", "SYS"),
        ("dc civac, x1", "SYS"),
        ("dc cisw, x2", "SYS"),
        ("at s1e1r, x0", "SYS"),
        ("at s12e0w, x5", "SYS"),
        ("tlbi vmalle1is", "SYS"),
        ("tlbi vae2, x7", "SYS"),
        ("tlbi alle3", "SYS"),
        ("sys #7, c15, c15, #7, x1", "SYS"),
        ("sysl x0, #0, c0, c0, #0", "SYSL"),
        ("mrs x0, sctlr_el1", "MRS"),
        ("mrs x30, midr_el1", "MRS"),
        ("mrs x1, s3_1_c15_c2_0", "MRS"),
        ("mrs x2, mdscr_el1", "MRS"),
        ("msr sctlr_el3, x0", "MSR_reg"),
        ("msr nzcv, x3", "MSR_reg"),
        ("msr dbgbvr5_el1, x4", "MSR_reg"),
        ("msr icc_sgi1r_el1, x9", "MSR_reg"),
    ];
    let src: String = cases.iter().map(|(a, _)| format!("{a}\n")).collect();
    let words = assemble(&src);
    assert_eq!(words.len(), cases.len());
    for ((asm, name), w) in cases.iter().zip(words) {
        let i = decode::decode(w);
        assert_eq!(i.name(), *name, "{asm} = {w:#010x}");
        // The asm= attribute of the line is the Arm ARM base mnemonic.
        let e = decode::ENCODINGS.iter().find(|e| e.name == *name).unwrap();
        let mnemonic = asm.split_whitespace().next().unwrap();
        let base = match mnemonic {
            "ic" | "dc" | "at" | "tlbi" => "sys",
            m => m,
        };
        assert_eq!(e.asm, base, "{asm}");
    }
}

#[test]
fn decode_later_architecture_system_instructions_as_undefined() {
    // Encoded by the assembler for later architecture versions; a Cortex-A72 (v8.0)
    // treats them as UNDEFINED (not in the hint space).
    let cases = [
        "msr pan, #1",      // v8.1
        "msr uao, #1",      // v8.2
        "msr dit, #1",      // v8.4
        "cfinv",            // v8.4
        "xaflag",           // v8.5
        "axflag",           // v8.5
        "sb",               // v8.5
        "msr ssbs, #1",     // v8.5
        "eretaa",           // v8.3
        "eretab",           // v8.3
    ];
    let src = format!(".arch armv8.5-a+sb+ssbs\n{}\n", cases.join("\n"));
    let words = assemble(&src);
    assert_eq!(words.len(), cases.len());
    for (asm, w) in cases.iter().zip(words) {
        assert_eq!(decode::decode(w).name(), "UNDEFINED", "{asm} = {w:#010x}");
    }
    // ESB, PACIASP, BTI, CSDB: in the hint space, so NOP on v8.0.
    let hints = ["esb", "paciasp", "bti c", "csdb", "psb csync"];
    let src = format!(".arch armv8.5-a+memtag\n{}\n", hints.join("\n"));
    for (asm, w) in hints.iter().zip(assemble(&src)) {
        assert_eq!(decode::decode(w).name(), "HINT", "{asm} = {w:#010x}");
    }
}

#[test]
fn decode_unallocated_words_are_undefined() {
    // Hand-built from the Arm ARM encoding tables (C4.1.3): exception generation with
    // opc/op2/LL combinations that are unallocated, barriers with op2 = 000/001/011,
    // system instructions with L = 1 and op0 = 00, hints/barriers with Rt != 31, and
    // ERET with Rn != 31.
    for w in [
        0xd400_0000u32, // opc 000, LL 00
        0xd400_0004,    // SVC with op2 = 001
        0xd420_0001,    // BRK with LL = 01
        0xd440_0001,    // HLT with LL = 01
        0xd460_0000,    // opc 011
        0xd480_0000,    // opc 100
        0xd4a0_0000,    // DCPS with LL = 00
        0xd4c0_0000,    // opc 110
        0xd4e0_0000,    // opc 111
        0xd503_301f,    // CRn = 3, op2 = 000
        0xd503_303f,    // CRn = 3, op2 = 001
        0xd503_307f,    // CRn = 3, op2 = 011
        0xd503_201e,    // hint with Rt = 30
        0xd503_3f9e,    // DSB with Rt = 30
        0xd520_0000,    // L = 1, op0 = 00
        0xd500_0000,    // L = 0, op0 = 00, CRn = 0
        0xd503_401f,    // MSR imm op1 = 011, op2 = 000
        0xd69f_03c0,    // ERET with Rn = 30
        0xd6bf_0000,    // DRPS with Rn = 0
    ] {
        assert_eq!(decode::decode(w).name(), "UNDEFINED", "{w:#010x}");
    }
}

// ---------------------------------------------------------------------------------------
// Test platform and program harness
// ---------------------------------------------------------------------------------------

struct TestPlat {
    ram: FlatRam,
    irq: IrqLevels,
    tlbi: Vec<(u8, TlbiOp, u64)>,
    events: u32,
    /// ICC_PMR_EL1 of a minimal GIC CPU interface; other ICC registers are "absent".
    pmr: u64,
    /// `Platform::timer_levels` calls, in order.
    timer_out: Vec<(u8, TimerLevels)>,
}

impl Bus for TestPlat {
    fn read(&mut self, pa: PhysAddr, buf: &mut [u8], a: BusAttrs) -> Result<(), BusError> {
        self.ram.read(pa, buf, a)
    }
    fn write(&mut self, pa: PhysAddr, buf: &[u8], a: BusAttrs) -> Result<(), BusError> {
        self.ram.write(pa, buf, a)
    }
}

impl Platform for TestPlat {
    fn counter(&self) -> u64 {
        self.ram.ticks
    }
    fn irq_levels(&self, _cpu: u8) -> IrqLevels {
        self.irq
    }
    fn hlt(&mut self, _cpu: &mut Cpu, imm: u16) -> Hooked {
        Hooked::Halt(imm as i32)
    }
    fn tlbi_broadcast(&mut self, cpu: u8, op: TlbiOp, arg: u64) {
        self.tlbi.push((cpu, op, arg));
    }
    fn send_event(&mut self, _cpu: u8) {
        self.events += 1;
    }
    fn timer_levels(&mut self, cpu: u8, t: TimerLevels) {
        self.timer_out.push((cpu, t));
    }
    fn icc_access(&mut self, _cpu: u8, enc: SysRegEnc, write: Option<u64>) -> Option<u64> {
        if enc != SysRegEnc::new(3, 0, 4, 6, 0) {
            return None;
        }
        match write {
            Some(v) => {
                self.pmr = v & 0xff;
                Some(0)
            }
            None => Some(self.pmr),
        }
    }
}

const VECTORS: &str = "
.macro vent el, idx
    .balign 0x80
    mrs x10, esr_el\\el
    mrs x11, elr_el\\el
    mrs x12, spsr_el\\el
    mrs x13, far_el\\el
    hlt #(\\el << 8 | \\idx)
.endm
.macro vectors el
    vent \\el, 0
    vent \\el, 1
    vent \\el, 2
    vent \\el, 3
    vent \\el, 4
    vent \\el, 5
    vent \\el, 6
    vent \\el, 7
    vent \\el, 8
    vent \\el, 9
    vent \\el, 10
    vent \\el, 11
    vent \\el, 12
    vent \\el, 13
    vent \\el, 14
    vent \\el, 15
.endm
";

/// Halt code of a vector entry: EL << 8 | (offset / 0x80).
fn vec_code(el: u8, offset: u32) -> i32 {
    (el as i32) << 8 | (offset / 0x80) as i32
}

/// The halt code a program uses for "reached the end".
const END: i32 = 0xfff;

/// Builds a CPU at EL3 with `code` at BASE and vector tables for EL1/EL2/EL3 at BASE +
/// 0x800/0x1000/0x1800. SCR_EL3 = NS | RW | HCE (EL2 enabled, Non-secure below EL3).
fn setup(code: &str) -> (Cpu, TestPlat) {
    let src = format!("{VECTORS}\n.text\n{code}\n    hlt #{END}\n.org 0x800\n    vectors 1\n.org 0x1000\n    vectors 2\n.org 0x1800\n    vectors 3\n");
    setup_words(&assemble(&src))
}

/// `setup` for a whole program `words` (its own vector tables at BASE + 0x800/0x1000/0x1800).
fn setup_words(words: &[u32]) -> (Cpu, TestPlat) {
    let mut ram = FlatRam::new(BASE, 0x10000);
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    ram.load(BASE, &bytes);
    let mut cpu = Cpu::new(CpuConfig::default());
    cpu.reset(BASE);
    cpu.sys.vbar[1] = BASE + 0x800;
    cpu.sys.vbar[2] = BASE + 0x1000;
    cpu.sys.vbar[3] = BASE + 0x1800;
    cpu.sys.scr_el3 = 0x30 | SCR_RW | SCR_NS | SCR_HCE;
    (cpu, TestPlat { ram, irq: IrqLevels::default(), tlbi: vec![], events: 0, pmr: 0, timer_out: vec![] })
}

/// Runs until the program halts; returns the halt code.
fn run(cpu: &mut Cpu, p: &mut TestPlat) -> i32 {
    match interp::run(cpu, p, 10_000) {
        Exit::Halt(c) => c,
        x => panic!("program did not halt: {x:?} at pc {:#x}", cpu.st.pc),
    }
}

/// Puts the CPU at `el` with SP_ELx selected (EL0: SP_EL0) and DAIF clear.
fn at_el(cpu: &mut Cpu, el: u8) {
    cpu.st.pstate.el = el;
    cpu.st.pstate.sp = (el != 0) as u8;
    cpu.st.pstate.daif = 0;
}

/// Recorded (ESR, ELR, SPSR, FAR) of the taken exception.
fn rec(cpu: &Cpu) -> (u64, u64, u64, u64) {
    (cpu.st.x[10], cpu.st.x[11], cpu.st.x[12], cpu.st.x[13])
}

/// ESR value: EC, IL = 1, ISS.
fn esr(ec: u8, iss: u32) -> u64 {
    (ec as u64) << 26 | 1 << 25 | iss as u64
}

// ---------------------------------------------------------------------------------------
// Exception generation
// ---------------------------------------------------------------------------------------

#[test]
fn svc_from_el0_goes_to_el1_lower_el_vector() {
    let (mut cpu, mut p) = setup("svc #0x42");
    at_el(&mut cpu, 0);
    cpu.st.pstate.nzcv = 0x6000_0000;
    // Lower EL, AArch64, synchronous: VBAR_EL1 + 0x400. ESR: EC 0x15, IL 1, ISS imm16.
    // ELR: the next instruction. SPSR: NZCV 0110, EL0t, DAIF clear.
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0, 0x5600_0042);
    assert_eq!(rec(&cpu).1, BASE + 4);
    assert_eq!(rec(&cpu).2, 0x6000_0000);
    // Exception entry masks DAIF and selects SP_EL1.
    assert_eq!(cpu.st.pstate.daif, 0x3c0);
    assert_eq!(cpu.st.pstate.sp, 1);
}

#[test]
fn svc_same_el_uses_sp_select_vectors() {
    // Current EL with SP_ELx: +0x200; with SP_EL0: +0x000.
    let (mut cpu, mut p) = setup("svc #1");
    at_el(&mut cpu, 1);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
    assert_eq!(rec(&cpu).2, 0x5); // EL1h
    let (mut cpu, mut p) = setup("svc #1");
    at_el(&mut cpu, 1);
    cpu.st.pstate.sp = 0;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x000));
    assert_eq!(rec(&cpu).2, 0x4); // EL1t
}

#[test]
fn svc_from_el0_with_tge_goes_to_el2() {
    let (mut cpu, mut p) = setup("svc #7");
    at_el(&mut cpu, 0);
    cpu.sys.hcr_el2 |= HCR_TGE;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, esr(ec::SVC64, 7));
}

#[test]
fn hvc_from_el1_goes_to_el2() {
    let (mut cpu, mut p) = setup("nop\n hvc #0xabc");
    at_el(&mut cpu, 1);
    // EC 0x16, ISS imm16; ELR = next instruction; SPSR = EL1h.
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu), (0x5a00_0abc, BASE + 8, 0x5, rec(&cpu).3));
}

#[test]
fn hvc_at_el3_is_taken_to_el3() {
    let (mut cpu, mut p) = setup("hvc #2");
    assert_eq!(run(&mut cpu, &mut p), vec_code(3, 0x200));
    assert_eq!(rec(&cpu).0, esr(ec::HVC64, 2));
}

#[test]
fn hvc_undefined_when_scr_hce_clear_or_at_el0_or_secure_el1() {
    // SCR_EL3.HCE = 0: UNDEFINED at EL1 (EC 0, ELR = the HVC).
    let (mut cpu, mut p) = setup("hvc #1");
    at_el(&mut cpu, 1);
    cpu.sys.scr_el3 &= !SCR_HCE;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
    assert_eq!(rec(&cpu).0, 0x0200_0000);
    assert_eq!(rec(&cpu).1, BASE);
    // EL0.
    let (mut cpu, mut p) = setup("hvc #1");
    at_el(&mut cpu, 0);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0, 0x0200_0000);
    // Secure EL1 (SCR_EL3.NS = 0).
    let (mut cpu, mut p) = setup("hvc #1");
    at_el(&mut cpu, 1);
    cpu.sys.scr_el3 &= !SCR_NS;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
    assert_eq!(rec(&cpu).0, 0x0200_0000);
}

#[test]
fn smc_routing_and_traps() {
    // From EL1 to EL3: EC 0x17, ELR = next instruction.
    let (mut cpu, mut p) = setup("smc #0x33");
    at_el(&mut cpu, 1);
    assert_eq!(run(&mut cpu, &mut p), vec_code(3, 0x400));
    assert_eq!(rec(&cpu).0, 0x5e00_0033);
    assert_eq!(rec(&cpu).1, BASE + 4);
    // HCR_EL2.TSC: trapped to EL2 with EC 0x17, ELR = the SMC itself (ThisInstrAddr),
    // and it takes priority over SCR_EL3.SMD.
    let (mut cpu, mut p) = setup("smc #0x33");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_TSC;
    cpu.sys.scr_el3 |= SCR_SMD;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x5e00_0033);
    assert_eq!(rec(&cpu).1, BASE);
    // SCR_EL3.SMD without TSC: UNDEFINED at EL1.
    let (mut cpu, mut p) = setup("smc #0");
    at_el(&mut cpu, 1);
    cpu.sys.scr_el3 |= SCR_SMD;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
    assert_eq!(rec(&cpu).0, 0x0200_0000);
    // EL0: UNDEFINED (to EL1), even with TSC.
    let (mut cpu, mut p) = setup("smc #0");
    at_el(&mut cpu, 0);
    cpu.sys.hcr_el2 |= HCR_TSC;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0, 0x0200_0000);
    // TSC does not apply in Secure EL1 (EL2 not enabled): to EL3.
    let (mut cpu, mut p) = setup("smc #0");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_TSC;
    cpu.sys.scr_el3 &= !SCR_NS;
    assert_eq!(run(&mut cpu, &mut p), vec_code(3, 0x400));
}

#[test]
fn brk_reports_imm_and_returns_to_itself() {
    // EC 0x3C, ISS = imm16, ELR = the BRK.
    let (mut cpu, mut p) = setup("nop\n brk #0x1234");
    at_el(&mut cpu, 1);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
    assert_eq!(rec(&cpu).0, 0xf200_1234);
    assert_eq!(rec(&cpu).1, BASE + 4);
    // MDCR_EL2.TDE routes EL0/EL1 debug exceptions to EL2.
    let (mut cpu, mut p) = setup("brk #1");
    at_el(&mut cpu, 1);
    cpu.sys.mdcr_el2 |= MDCR_TDE;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, esr(ec::BRK64, 1));
}

#[test]
fn hlt_without_a_hook_is_undefined() {
    let (mut cpu, mut p) = setup("hlt #5");
    let mut plat = NoHlt(&mut p);
    at_el(&mut cpu, 1);
    // With no HLT hook, the first HLT is UNDEFINED; the vector's own HLT also is,
    // so run until the budget ends and check the first exception's syndrome.
    let _ = interp::run(&mut cpu, &mut plat, 1);
    assert_eq!(cpu.sys.esr[1], 0x0200_0000);
    assert_eq!(cpu.st.elr[1], BASE);
    assert_eq!(cpu.st.pc, BASE + 0x800 + 0x200);
}

struct NoHlt<'a>(&'a mut TestPlat);
impl Bus for NoHlt<'_> {
    fn read(&mut self, pa: PhysAddr, buf: &mut [u8], a: BusAttrs) -> Result<(), BusError> {
        self.0.read(pa, buf, a)
    }
    fn write(&mut self, pa: PhysAddr, buf: &[u8], a: BusAttrs) -> Result<(), BusError> {
        self.0.write(pa, buf, a)
    }
}
impl Platform for NoHlt<'_> {
    fn counter(&self) -> u64 {
        0
    }
}

#[test]
fn dcps_and_drps_are_undefined_outside_debug_state() {
    for insn in ["dcps1", "dcps2", "dcps3", "drps"] {
        let (mut cpu, mut p) = setup(insn);
        at_el(&mut cpu, 1);
        assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200), "{insn}");
        assert_eq!(rec(&cpu).0, 0x0200_0000, "{insn}");
    }
}

// ---------------------------------------------------------------------------------------
// ERET and illegal exception returns
// ---------------------------------------------------------------------------------------

#[test]
fn eret_from_el3_to_el1_restores_pstate() {
    let (mut cpu, mut p) = setup("eret\n hlt #1\n hlt #2");
    // SPSR_EL3 = NZCV 1001, D and F masked, EL1h; ELR = the "hlt #2".
    cpu.st.spsr[3] = 0x9000_0245;
    cpu.st.elr[3] = BASE + 8;
    cpu.monitor.reserved = Some((0x1000, 8));
    assert_eq!(run(&mut cpu, &mut p), 2);
    assert_eq!(cpu.st.pstate.el, 1);
    assert_eq!(cpu.st.pstate.sp, 1);
    assert_eq!(cpu.st.pstate.nzcv, 0x9000_0000);
    assert_eq!(cpu.st.pstate.daif, 0x240);
    assert!(!cpu.st.pstate.il);
    assert_eq!(cpu.monitor.reserved, None, "ERET clears the local monitor");
    assert!(cpu.event, "ERET sets the event register");
}

/// Per-EL instruction counts (`Cpu::icount_el`, `--stats`) across exceptions taken to
/// EL1, EL2 and EL3 and returns from each, counted by hand from the program below: an
/// instruction counts at the EL it starts at (an SVC/HVC/SMC at the lower EL, an ERET at
/// the EL it returns from).
#[test]
fn per_el_instruction_counts_follow_exceptions_and_returns() {
    let src = "
    .text
    // EL3 (reset): drop to EL2h.                      EL3: 5
    adr x1, el2
    msr elr_el3, x1
    mov x2, #0x9
    msr spsr_el3, x2
    eret
el2:                                                // EL2: 5
    adr x1, el1
    msr elr_el2, x1
    mov x2, #0x5
    msr spsr_el2, x2
    eret
el1:                                                // EL1: 4
    adr x1, el0
    msr elr_el1, x1
    msr spsr_el1, xzr
    eret
el0:                                                // EL0: 2, then 3 after the SVC
    nop
    svc #0
    nop
    nop
    hlt #0xfff
    // EL1 synchronous from a lower EL (the SVC).      EL1: 4
    .org 0x800 + 0x400
    mov x3, #1
    hvc #1
    smc #0
    eret
    // EL2 synchronous from a lower EL (the HVC).      EL2: 2
    .org 0x1000 + 0x400
    mov x4, #1
    eret
    // EL3 synchronous from a lower EL (the SMC).      EL3: 3
    .org 0x1800 + 0x400
    mov x5, #1
    nop
    eret
";
    let (mut cpu, mut p) = setup_words(&assemble(src));
    cpu.sys.hcr_el2 = HCR_RW;
    // Budget slices: after 7, EL3's 5 and the first 2 at EL2 (mid-EL reads add the
    // instructions since the last EL change to the current EL).
    assert_eq!(interp::run(&mut cpu, &mut p, 7), Exit::Budget);
    assert_eq!(cpu.icount_el(), [0, 0, 2, 5]);
    // After 17: + EL2's other 3, EL1's 4, EL0's "nop; svc" and the handler's first (EL1).
    assert_eq!(interp::run(&mut cpu, &mut p, 10), Exit::Budget);
    assert_eq!((cpu.st.pstate.el, cpu.icount_el()), (1, [2, 5, 5, 5]));
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!((cpu.st.pstate.el, cpu.st.x[3], cpu.st.x[4], cpu.st.x[5]), (0, 1, 1, 1));
    // EL0 2 + 3, EL1 4 + 4, EL2 5 + 2, EL3 5 + 3: 28 in all.
    assert_eq!(cpu.icount, 28);
    assert_eq!(cpu.icount_el(), [5, 8, 7, 8]);
    assert_eq!(cpu.stats.exceptions, 3);
    // A reset (e.g. PSCI CPU_ON of a PE that ran before) keeps the counts.
    cpu.reset(BASE);
    assert_eq!(cpu.icount_el(), [5, 8, 7, 8]);
}

#[test]
fn eret_at_el0_is_undefined() {
    let (mut cpu, mut p) = setup("eret");
    at_el(&mut cpu, 0);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0, 0x0200_0000);
}

#[test]
fn illegal_eret_sets_il_and_next_instruction_takes_ec_0x0e() {
    // ERET at EL1 to EL2 (a higher EL) is an illegal return: EL and SP unchanged,
    // NZCV/DAIF from SPSR, PSTATE.IL = 1, PC = ELR. The next instruction then takes an
    // Illegal Execution state exception (EC 0x0E, ISS 0) to EL1 at +0x200, with ELR =
    // that instruction and SPSR.IL = 1.
    let (mut cpu, mut p) = setup("eret\n hlt #1\n nop\n hlt #2");
    at_el(&mut cpu, 1);
    cpu.st.spsr[1] = 0x2000_0009 | 0x3c0; // EL2h, C set, DAIF masked
    cpu.st.elr[1] = BASE + 8;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
    assert_eq!(rec(&cpu).0, 0x3a00_0000);
    assert_eq!(rec(&cpu).1, BASE + 8);
    // SPSR: NZCV 0010, IL (bit 20), DAIF 1111, EL1h.
    assert_eq!(rec(&cpu).2, 0x2010_03c5);
    assert!(!cpu.st.pstate.il, "exception entry clears PSTATE.IL");
}

#[test]
fn illegal_return_cases() {
    let mut cpu = Cpu::new(CpuConfig::default());
    cpu.sys.scr_el3 = 0x30 | SCR_RW | SCR_NS | SCR_HCE;
    cpu.st.pstate.el = 2;
    assert!(!cpu.illegal_return(0x3c5)); // EL1h
    assert!(!cpu.illegal_return(0x3c0)); // EL0t
    assert!(!cpu.illegal_return(0x3c9)); // EL2h
    assert!(cpu.illegal_return(0x3cd)); // EL3h: higher than current
    assert!(cpu.illegal_return(0x3c1)); // EL0 with SP_ELx
    assert!(cpu.illegal_return(0x3c7)); // M[1] set
    assert!(cpu.illegal_return(0x3d0)); // AArch32 User: not implemented
    cpu.sys.hcr_el2 |= HCR_TGE;
    assert!(cpu.illegal_return(0x3c5), "EL1 with HCR_EL2.TGE = 1");
    cpu.st.pstate.el = 3;
    cpu.sys.hcr_el2 = 0;
    cpu.sys.scr_el3 &= !SCR_NS;
    assert!(cpu.illegal_return(0x3c9), "EL2 in Secure state");
}

#[test]
fn eret_strips_tag_when_tbi_applies() {
    // ELR with a top-byte tag, returning to EL1 with TCR_EL1.TBI0 = 1: the tag is
    // replaced by the sign extension of bit 55 (AArch64.BranchAddr).
    let mut cpu = Cpu::new(CpuConfig::default());
    cpu.st.spsr[3] = 0x3c5;
    cpu.st.elr[3] = 0x5a00_0000_8000_1000;
    cpu.sys.tcr[1] = 1 << 37;
    cpu.eret();
    assert_eq!(cpu.st.pc, 0x0000_0000_8000_1000);
    cpu.st.pstate.el = 3;
    cpu.sys.tcr[1] = 0;
    cpu.eret();
    assert_eq!(cpu.st.pc, 0x5a00_0000_8000_1000);
}

// ---------------------------------------------------------------------------------------
// WFI / WFE / SEV
// ---------------------------------------------------------------------------------------

#[test]
fn wfi_traps() {
    // EL0 with SCTLR_EL1.nTWI = 0 (its reset value): to EL1, EC 0x01, ISS CV=1 COND=0xE
    // TI=0, ELR = the WFI.
    let (mut cpu, mut p) = setup("wfi");
    at_el(&mut cpu, 0);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0, 0x07e0_0000);
    assert_eq!(rec(&cpu).1, BASE);
    // EL1 with HCR_EL2.TWE: WFE to EL2 with TI = 1.
    let (mut cpu, mut p) = setup("wfe");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_TWE;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x07e0_0001);
    // EL2 with SCR_EL3.TWI: to EL3.
    let (mut cpu, mut p) = setup("wfi");
    at_el(&mut cpu, 2);
    cpu.sys.scr_el3 |= SCR_TWI;
    assert_eq!(run(&mut cpu, &mut p), vec_code(3, 0x400));
    assert_eq!(rec(&cpu).0, 0x07e0_0000);
    // EL0 with nTWI = 1 but HCR_EL2.TWI = 1: to EL2.
    let (mut cpu, mut p) = setup("wfi");
    at_el(&mut cpu, 0);
    cpu.sys.sctlr[1] |= SCTLR_NTWI;
    cpu.sys.hcr_el2 |= HCR_TWI;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
}

#[test]
fn wfi_waits_and_wakes_on_masked_interrupt() {
    let (mut cpu, mut p) = setup("wfi\n hlt #1");
    at_el(&mut cpu, 1);
    cpu.st.pstate.daif = 0x3c0;
    assert_eq!(interp::run(&mut cpu, &mut p, 100), Exit::Wait);
    assert_eq!(cpu.st.pc, BASE + 4);
    assert_eq!(interp::run(&mut cpu, &mut p, 100), Exit::Wait);
    // A physical IRQ wakes the PE even though PSTATE.I masks it; it is not taken.
    p.irq.irq = true;
    assert_eq!(run(&mut cpu, &mut p), 1);
}

#[test]
fn wfe_sevl_sev() {
    // SEVL sets the event register, so the WFE completes at once and clears it; the
    // second WFE waits. SEV signals the other PEs through the platform.
    let (mut cpu, mut p) = setup("sevl\n wfe\n sev\n wfe\n wfe\n hlt #1");
    at_el(&mut cpu, 1);
    cpu.sys.sctlr[1] |= SCTLR_NTWE;
    assert_eq!(interp::run(&mut cpu, &mut p, 100), Exit::Wait);
    assert_eq!(cpu.st.pc, BASE + 20);
    assert_eq!(p.events, 1);
    assert!(!cpu.event);
}

// ---------------------------------------------------------------------------------------
// MSR immediate, MRS/MSR and the register table
// ---------------------------------------------------------------------------------------

#[test]
fn msr_immediate_forms() {
    let (mut cpu, mut p) = setup("msr daifset, #0xa\n msr daifclr, #0x8\n msr spsel, #0");
    at_el(&mut cpu, 1);
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!(cpu.st.pstate.daif, 0x080); // D and I set, then D cleared
    assert_eq!(cpu.st.pstate.sp, 0);
    // EL0: MSR SPSel is UNDEFINED; DAIFSet traps to EL1 with SCTLR_EL1.UMA = 0, with
    // ISS Op0=0 Op2=6 Op1=3 CRn=4 Rt=31 CRm=2 Dir=0 = 0x000cd3e4.
    let (mut cpu, mut p) = setup("msr spsel, #1");
    at_el(&mut cpu, 0);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0, 0x0200_0000);
    let (mut cpu, mut p) = setup("msr daifset, #2");
    at_el(&mut cpu, 0);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0, esr(ec::SYSREG, 0x000c_d3e4));
    // With UMA = 1 EL0 may use it.
    let (mut cpu, mut p) = setup("msr daifset, #2");
    at_el(&mut cpu, 0);
    cpu.sys.sctlr[1] |= SCTLR_UMA;
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!(cpu.st.pstate.daif, 0x080);
}

#[test]
fn mrs_msr_round_trip_and_special_registers() {
    let (mut cpu, mut p) = setup(
        "msr tpidr_el1, x1\n mrs x2, tpidr_el1\n mrs x3, currentel\n msr nzcv, x4\n mrs x5, nzcv\n \
         msr vbar_el2, x6\n mrs x7, vbar_el2\n mrs x8, midr_el1\n mrs x9, id_aa64pfr0_el1\n \
         mrs x14, s3_0_c0_c7_2\n mrs x15, ctr_el0\n mrs x16, dczid_el0\n msr sctlr_el2, xzr\n mrs x17, sctlr_el2",
    );
    cpu.st.x[1] = 0x1122_3344_5566_7788;
    cpu.st.x[4] = 0xffff_ffff_ffff_ffff;
    cpu.st.x[6] = 0x8000_1234_5fff;
    at_el(&mut cpu, 2);
    assert_eq!(run(&mut cpu, &mut p), END);
    let x = &cpu.st.x;
    assert_eq!(x[2], 0x1122_3344_5566_7788);
    assert_eq!(x[3], 0x8); // CurrentEL: EL2 in bits 3:2
    assert_eq!(x[5], 0xf000_0000); // NZCV keeps bits 31:28 only
    assert_eq!(x[7], 0x8000_1234_5800); // VBAR bits 10:0 RES0
    assert_eq!(x[8], 0x410f_d083); // Cortex-A72 r0p3 (EL2 reads the real MIDR)
    assert_eq!(x[9], 0x0100_1111);
    assert_eq!(x[14], 0); // ID_AA64MMFR2_EL1: reserved ID space, RAZ in v8.0
    assert_eq!(x[15], 0x8444_c004);
    assert_eq!(x[16], 4);
    assert_eq!(x[17], 0x30c5_0830); // SCTLR_EL2 RES1 bits
}

#[test]
fn el1_reads_virtualized_midr_mpidr() {
    let (mut cpu, mut p) = setup("mrs x1, midr_el1\n mrs x2, mpidr_el1");
    at_el(&mut cpu, 1);
    cpu.sys.vpidr_el2 = 0x4100_1234;
    cpu.sys.vmpidr_el2 = 0x8000_0102;
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!((cpu.st.x[1], cpu.st.x[2]), (0x4100_1234, 0x8000_0102));
    // Secure EL1 (EL2 not enabled) reads the real values.
    let (mut cpu, mut p) = setup("mrs x1, midr_el1\n mrs x2, mpidr_el1");
    at_el(&mut cpu, 1);
    cpu.sys.scr_el3 &= !SCR_NS;
    cpu.sys.vpidr_el2 = 0x4100_1234;
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!((cpu.st.x[1], cpu.st.x[2]), (0x410f_d083, 0x8000_0000));
}

#[test]
fn higher_el_registers_are_undefined() {
    for (el, insn) in [(2u8, "mrs x0, scr_el3"), (1, "msr hcr_el2, x0"), (0, "mrs x0, sctlr_el1"), (1, "mrs x0, sp_el1"), (0, "mrs x0, midr_el1")] {
        let (mut cpu, mut p) = setup(insn);
        at_el(&mut cpu, el);
        let off = if el == 0 { 0x400 } else { 0x200 };
        let target = el.max(1);
        assert_eq!(run(&mut cpu, &mut p), vec_code(target, off), "{insn} at EL{el}");
        assert_eq!(rec(&cpu).0, 0x0200_0000, "{insn}");
    }
}

#[test]
fn sp_el0_access_with_spsel_0_is_undefined() {
    let (mut cpu, mut p) = setup("mrs x0, sp_el0");
    at_el(&mut cpu, 1);
    cpu.st.pstate.sp = 0;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x000));
    assert_eq!(rec(&cpu).0, 0x0200_0000);
}

#[test]
fn unknown_registers_undefined_and_tidcp_traps() {
    let (mut cpu, mut p) = setup("mrs x0, s3_0_c15_c0_0");
    at_el(&mut cpu, 1);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
    assert_eq!(rec(&cpu).0, 0x0200_0000);
    // HCR_EL2.TIDCP: EL1 accesses to the IMPLEMENTATION DEFINED space trap to EL2, ISS
    // Op0=3 Op2=0 Op1=0 CRn=15 Rt=0 CRm=0 Dir=1 = 0x0030_3c01.
    let (mut cpu, mut p) = setup("mrs x0, s3_0_c15_c0_0");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_TIDCP;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, esr(ec::SYSREG, 0x0030_3c01));
}

#[test]
fn hcr_tvm_trvm_trap_with_iss() {
    // MSR SCTLR_EL1, X1 at EL1 with TVM: EC 0x18, ISS Op0=3 (bits 21:20) Op2=0 Op1=0
    // CRn=1 (<<10) Rt=1 (<<5) CRm=0 Dir=0 -> 0x0030_0420; ELR = the MSR.
    let (mut cpu, mut p) = setup("msr sctlr_el1, x1");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_TVM;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x6230_0420);
    assert_eq!(rec(&cpu).1, BASE);
    // MRS X2, TCR_EL1 with TRVM: Op0=3 Op2=2 (<<17) CRn=2 Rt=2 Dir=1 -> 0x0034_0841.
    let (mut cpu, mut p) = setup("mrs x2, tcr_el1");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_TRVM;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, esr(ec::SYSREG, 0x0034_0841));
    // TVM does not trap reads, and nothing traps at EL2.
    let (mut cpu, mut p) = setup("mrs x2, tcr_el1\n msr sctlr_el1, x1");
    at_el(&mut cpu, 2);
    cpu.sys.hcr_el2 |= HCR_TVM | HCR_TRVM;
    assert_eq!(run(&mut cpu, &mut p), END);
}

#[test]
fn hcr_tid_traps() {
    for (bit, insn) in [(HCR_TID3, "mrs x0, id_aa64isar0_el1"), (HCR_TID2, "mrs x0, ctr_el0"), (HCR_TID1, "mrs x0, revidr_el1"), (HCR_TACR, "mrs x0, actlr_el1")] {
        let (mut cpu, mut p) = setup(insn);
        at_el(&mut cpu, 1);
        cpu.sys.hcr_el2 |= bit;
        assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400), "{insn}");
        assert_eq!(rec(&cpu).0 >> 26, ec::SYSREG as u64, "{insn}");
    }
    // CTR_EL0 at EL0 with SCTLR_EL1.UCT = 0: to EL1.
    let (mut cpu, mut p) = setup("mrs x0, ctr_el0");
    at_el(&mut cpu, 0);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0 >> 26, ec::SYSREG as u64);
}

// ---------------------------------------------------------------------------------------
// FP enable checks (check_fp_enabled, through MRS FPCR)
// ---------------------------------------------------------------------------------------

#[test]
fn fp_access_traps_in_priority_order() {
    // EC 0x07, ISS CV = 1, COND = 0xE: ESR 0x1fe0_0000.
    // CPACR_EL1.FPEN = 00 at EL1: to EL1 (and it wins over CPTR_EL3.TFP).
    let (mut cpu, mut p) = setup("mrs x0, fpcr");
    at_el(&mut cpu, 1);
    cpu.sys.cptr_el3 = CPTR_TFP;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
    assert_eq!(rec(&cpu).0, 0x1fe0_0000);
    assert_eq!(rec(&cpu).1, BASE);
    // FPEN = 01: EL1 allowed, EL0 trapped to EL1.
    let (mut cpu, mut p) = setup("mrs x0, fpsr");
    at_el(&mut cpu, 0);
    cpu.sys.cpacr_el1 = 1 << 20;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0, 0x1fe0_0000);
    // FPEN = 11, CPTR_EL2.TFP: to EL2.
    let (mut cpu, mut p) = setup("msr fpcr, x0");
    at_el(&mut cpu, 0);
    cpu.sys.cpacr_el1 = 3 << 20;
    cpu.sys.cptr_el2 |= CPTR_TFP;
    cpu.sys.cptr_el3 = CPTR_TFP;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x1fe0_0000);
    // CPTR_EL3.TFP traps EL3 itself.
    let (mut cpu, mut p) = setup("mrs x0, fpcr");
    cpu.sys.cptr_el3 = CPTR_TFP;
    assert_eq!(run(&mut cpu, &mut p), vec_code(3, 0x200));
    assert_eq!(rec(&cpu).0, 0x1fe0_0000);
    // EL0 with HCR_EL2.TGE = 1 and FPEN = 00: to EL2 as an Uncategorized exception.
    let (mut cpu, mut p) = setup("mrs x0, fpcr");
    at_el(&mut cpu, 0);
    cpu.sys.hcr_el2 |= HCR_TGE;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x0200_0000);
    // Enabled everywhere: FPCR keeps AHP/DN/FZ/RMode, Len/Stride.
    let (mut cpu, mut p) = setup("msr fpcr, x1\n mrs x2, fpcr");
    at_el(&mut cpu, 1);
    cpu.sys.cpacr_el1 = 3 << 20;
    cpu.st.x[1] = 0xffff_ffff;
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!(cpu.st.x[2], 0x07f7_0000);
}

#[test]
fn cpacr_and_cptr_access_traps() {
    let (mut cpu, mut p) = setup("mrs x0, cpacr_el1");
    at_el(&mut cpu, 1);
    cpu.sys.cptr_el2 |= CPTR_TCPAC;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    let (mut cpu, mut p) = setup("msr cptr_el2, x0");
    at_el(&mut cpu, 2);
    cpu.sys.cptr_el3 |= CPTR_TCPAC;
    assert_eq!(run(&mut cpu, &mut p), vec_code(3, 0x400));
}

// ---------------------------------------------------------------------------------------
// Interrupts
// ---------------------------------------------------------------------------------------

#[test]
fn irq_routing_and_masking() {
    // EL1, I clear, no routing: IRQ taken to EL1 at +0x280 (current EL, SP_ELx, IRQ).
    // ELR = the instruction not yet executed.
    let (mut cpu, mut p) = setup("nop\n nop");
    at_el(&mut cpu, 1);
    p.irq.irq = true;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x280));
    assert_eq!(rec(&cpu).1, BASE);
    // I masked at EL1: not taken.
    let (mut cpu, mut p) = setup("nop\n nop");
    at_el(&mut cpu, 1);
    cpu.st.pstate.daif = crate::state::DAIF_I;
    p.irq.irq = true;
    assert_eq!(run(&mut cpu, &mut p), END);
    // SCR_EL3.IRQ: to EL3 (lower EL, +0x480) whatever PSTATE.I says.
    let (mut cpu, mut p) = setup("nop");
    at_el(&mut cpu, 1);
    cpu.st.pstate.daif = 0x3c0;
    cpu.sys.scr_el3 |= SCR_IRQ;
    p.irq.irq = true;
    assert_eq!(run(&mut cpu, &mut p), vec_code(3, 0x480));
    // HCR_EL2.FMO: FIQ from EL0 to EL2 at +0x500.
    let (mut cpu, mut p) = setup("nop");
    at_el(&mut cpu, 0);
    cpu.st.pstate.daif = 0x3c0;
    cpu.sys.hcr_el2 |= HCR_FMO;
    p.irq.fiq = true;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x500));
    // At EL3 without SCR_EL3.IRQ the interrupt is not taken.
    let (mut cpu, mut p) = setup("nop");
    p.irq.irq = true;
    cpu.st.pstate.daif = 0;
    assert_eq!(run(&mut cpu, &mut p), END);
}

#[test]
fn virtual_interrupts() {
    // HCR_EL2.IMO + VI at EL1: virtual IRQ to EL1 (+0x280); with I masked: not taken.
    let (mut cpu, mut p) = setup("nop");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_IMO | HCR_VI;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x280));
    // Virtual SError (AMO + VSE): EC 0x2F, and VSE is cleared when it is taken.
    let (mut cpu, mut p) = setup("nop");
    at_el(&mut cpu, 0);
    cpu.sys.hcr_el2 |= HCR_AMO | HCR_VSE;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x580));
    assert_eq!(rec(&cpu).0, 0xbe00_0000);
    assert_eq!(cpu.sys.hcr_el2 & HCR_VSE, 0);
    // VI without IMO has no effect.
    let (mut cpu, mut p) = setup("nop");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_VI;
    assert_eq!(run(&mut cpu, &mut p), END);
}

#[test]
fn isr_el1_reports_pending_interrupts() {
    let (mut cpu, mut p) = setup("mrs x1, isr_el1");
    at_el(&mut cpu, 1);
    cpu.st.pstate.daif = 0x3c0;
    p.irq.irq = true;
    p.irq.fiq = true;
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!(cpu.st.x[1], 0xc0);
}

// ---------------------------------------------------------------------------------------
// SYS: DC, IC, AT, TLBI
// ---------------------------------------------------------------------------------------

#[test]
fn tlbi_is_broadcasts_and_el_checks() {
    let (mut cpu, mut p) = setup("tlbi vmalle1is\n tlbi vae1, x3\n tlbi alle2is\n tlbi vale3is, x4");
    cpu.st.x[3] = 0x1234;
    cpu.st.x[4] = 0x5678;
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!(p.tlbi, vec![(0, TlbiOp::Vmalle1, 0), (0, TlbiOp::Alle2, 0), (0, TlbiOp::Vale3, 0x5678)]);
    // EL2 operation at EL1: UNDEFINED. EL1 operation with HCR_EL2.TTLB: trap to EL2.
    let (mut cpu, mut p) = setup("tlbi alle2");
    at_el(&mut cpu, 1);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
    assert_eq!(rec(&cpu).0, 0x0200_0000);
    let (mut cpu, mut p) = setup("tlbi vmalle1");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_TTLB;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    // ISS: Op0=1 Op2=0 Op1=0 CRn=8 Rt=31 CRm=7 Dir=0 = 0x0010_23ee.
    assert_eq!(rec(&cpu).0, esr(ec::SYSREG, 0x0010_23ee));
    // HCR_EL2.FB: EL1's local TLBI is broadcast too.
    let (mut cpu, mut p) = setup("tlbi vmalle1");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_FB;
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!(p.tlbi.len(), 1);
}

#[test]
fn cache_maintenance_el0_enables_and_traps() {
    // DC CIVAC at EL0 with SCTLR_EL1.UCI = 0: trap to EL1 (EC 0x18).
    let (mut cpu, mut p) = setup("dc civac, x0");
    at_el(&mut cpu, 0);
    cpu.st.x[0] = BASE;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0 >> 26, ec::SYSREG as u64);
    // With UCI = 1 it executes; HCR_EL2.TPC then traps it to EL2.
    let (mut cpu, mut p) = setup("dc civac, x0\n ic ivau, x0\n dc cvau, x0");
    at_el(&mut cpu, 0);
    cpu.sys.sctlr[1] |= SCTLR_UCI;
    cpu.st.x[0] = BASE;
    assert_eq!(run(&mut cpu, &mut p), END);
    let (mut cpu, mut p) = setup("dc civac, x0");
    at_el(&mut cpu, 0);
    cpu.sys.sctlr[1] |= SCTLR_UCI;
    cpu.sys.hcr_el2 |= HCR_TPC;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    // DC IVAC and set/way at EL0: UNDEFINED. IC IALLU at EL1 with TPU: to EL2.
    for insn in ["dc ivac, x0", "dc cisw, x0", "ic iallu"] {
        let (mut cpu, mut p) = setup(insn);
        at_el(&mut cpu, 0);
        assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400), "{insn}");
        assert_eq!(rec(&cpu).0, 0x0200_0000, "{insn}");
    }
    let (mut cpu, mut p) = setup("ic iallu");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_TPU;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    // Unallocated SYS encodings: UNDEFINED.
    let (mut cpu, mut p) = setup("sys #7, c15, c15, #7, x1");
    assert_eq!(run(&mut cpu, &mut p), vec_code(3, 0x200));
    assert_eq!(rec(&cpu).0, 0x0200_0000);
}

#[test]
fn dc_zva_on_device_memory_is_an_alignment_fault() {
    // With the MMU off, data accesses are Device-nGnRnE, and DC ZVA to Device memory
    // raises an Alignment fault: EC 0x25 (same EL), WnR = 1, DFSC 0b100001, FAR = Xt.
    let (mut cpu, mut p) = setup("dc zva, x0");
    cpu.st.x[0] = BASE + 0x4010;
    assert_eq!(run(&mut cpu, &mut p), vec_code(3, 0x200));
    assert_eq!(rec(&cpu).0, 0x9600_0061);
    assert_eq!(rec(&cpu).3, BASE + 0x4010);
    // At EL0 without SCTLR_EL1.DZE it traps to EL1; DCZID_EL0.DZP shows it.
    let (mut cpu, mut p) = setup("mrs x1, dczid_el0\n dc zva, x0");
    at_el(&mut cpu, 0);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(cpu.st.x[1], 0x14);
}

#[test]
fn at_writes_par_el1() {
    // With the MMU off the stage 1 translation is flat: PAR_EL1.PA = VA[47:12], F = 0
    // (mmu::at is helper h7's; this checks the plumbing).
    let (mut cpu, mut p) = setup("at s1e1r, x0");
    at_el(&mut cpu, 1);
    cpu.st.x[0] = 0x1234_5678;
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!(cpu.sys.par_el1 & 0xffff_ffff_f001, 0x1234_5000);
    // AT S1E2R at EL1: UNDEFINED.
    let (mut cpu, mut p) = setup("at s1e2r, x0");
    at_el(&mut cpu, 1);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
}

// ---------------------------------------------------------------------------------------
// Generic timers
// ---------------------------------------------------------------------------------------

#[test]
fn timer_registers_and_levels() {
    let (mut cpu, mut p) = setup(
        "msr cntp_cval_el0, x1\n msr cntp_ctl_el0, x2\n mrs x3, cntp_ctl_el0\n mrs x4, cntp_tval_el0\n \
         msr cntv_tval_el0, x5\n mrs x6, cntv_cval_el0\n mrs x7, cntvct_el0\n mrs x8, cntpct_el0",
    );
    p.ram.ticks = 1000;
    cpu.sys.cntvoff_el2 = 100;
    cpu.st.x[1] = 1500; // fires at 1500
    cpu.st.x[2] = 1; // ENABLE
    cpu.st.x[5] = 0xffff_fff6; // TVAL = -10
    at_el(&mut cpu, 2);
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!(cpu.st.x[3], 1); // ISTATUS = 0: 1000 < 1500
    assert_eq!(cpu.st.x[4], 500); // TVAL = CVAL - count
    assert_eq!(cpu.st.x[6], 890); // virtual count 900 + (-10)
    assert_eq!(cpu.st.x[7], 900);
    assert_eq!(cpu.st.x[8], 1000);
    // Levels: the physical timer fires at 1500, the virtual one already has (it is not
    // enabled, though).
    assert_eq!(cpu.timer_irqs(1499), TimerLevels::default());
    assert_eq!(cpu.timer_irqs(1500), TimerLevels { phys: true, ..Default::default() });
    assert_eq!(cpu.timer_ctl(timer::Timer::Phys, 1500), 5);
    assert_eq!(cpu.timer_deadline(1000), Some(1500));
    cpu.sys.cntv_ctl_el0 = 1;
    assert_eq!(cpu.timer_irqs(1000), TimerLevels { virt: true, ..Default::default() });
    // IMASK hides the output but not ISTATUS.
    cpu.sys.cntp_ctl_el0 = 3;
    assert!(!cpu.timer_irqs(2000).phys);
    assert_eq!(cpu.timer_ctl(timer::Timer::Phys, 2000), 7);
    // TVAL reads the low 32 bits of CVAL - count once the timer has fired.
    assert_eq!(cpu.timer_tval(timer::Timer::Phys, 1501), 0xffff_ffff);
}

/// Every write of a timer register hands the PE's new timer outputs to the platform at
/// once (`Platform::timer_levels`; the output is ENABLE && ISTATUS && !IMASK, Arm ARM
/// D11.2.4), so that an interrupt controller never keeps a level the write lowered.
/// Expected levels worked out by hand, the counter fixed at 2000.
#[test]
fn timer_writes_report_the_new_output_levels() {
    let (mut cpu, mut p) = setup(
        "msr cntp_cval_el0, x1\n msr cntp_ctl_el0, x2\n msr cntp_ctl_el0, x3\n msr cntp_ctl_el0, x2\n \
         msr cntp_tval_el0, x4\n msr cntv_ctl_el0, x2\n mrs x5, cntp_ctl_el0\n msr cntv_cval_el0, x6",
    );
    p.ram.ticks = 2000;
    cpu.sys.cntvoff_el2 = 0;
    cpu.sys.cntv_cval_el0 = 1000;
    cpu.sys.cntp_ctl_el0 = 0;
    cpu.sys.cntv_ctl_el0 = 0;
    cpu.st.x[1] = 1500; // already reached
    cpu.st.x[2] = 1; // ENABLE
    cpu.st.x[3] = 3; // ENABLE | IMASK
    cpu.st.x[4] = 100; // TVAL: CVAL = 2100, not reached
    cpu.st.x[6] = 3000; // not reached
    at_el(&mut cpu, 2);
    assert_eq!(run(&mut cpu, &mut p), END);
    let none = TimerLevels::default();
    let phys = TimerLevels { phys: true, ..none };
    let virt = TimerLevels { virt: true, ..none };
    assert_eq!(
        p.timer_out,
        vec![
            (0, none), // CVAL 1500, still disabled
            (0, phys), // enabled: 2000 >= 1500
            (0, none), // IMASK
            (0, phys), // unmasked again
            (0, none), // TVAL 100: CVAL 2100 > 2000
            (0, virt), // virtual timer enabled: 2000 >= 1000
            // (an MRS reports nothing)
            (0, none), // virtual CVAL 3000
        ]
    );
}

#[test]
fn timer_el0_access_rules() {
    // CNTKCTL_EL1 = 0: EL0 reads of CNTVCT trap to EL1; with EL0VCTEN they succeed.
    let (mut cpu, mut p) = setup("mrs x0, cntvct_el0");
    at_el(&mut cpu, 0);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    let (mut cpu, mut p) = setup("mrs x0, cntvct_el0\n mrs x1, cntfrq_el0");
    at_el(&mut cpu, 0);
    cpu.sys.cntkctl_el1 = 2;
    assert_eq!(run(&mut cpu, &mut p), END);
    // CNTHCTL_EL2.EL1PCEN = 0: EL1 CNTP_* accesses trap to EL2.
    let (mut cpu, mut p) = setup("mrs x0, cntp_ctl_el0");
    at_el(&mut cpu, 1);
    cpu.sys.cnthctl_el2 = 1;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    // CNTFRQ_EL0 writes below EL3: UNDEFINED.
    let (mut cpu, mut p) = setup("msr cntfrq_el0, x0");
    at_el(&mut cpu, 1);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
    // CNTPS_* at Non-secure EL1: UNDEFINED; at Secure EL1 with SCR_EL3.ST = 0: to EL3.
    let (mut cpu, mut p) = setup("mrs x0, cntps_ctl_el1");
    at_el(&mut cpu, 1);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
    let (mut cpu, mut p) = setup("mrs x0, cntps_ctl_el1");
    at_el(&mut cpu, 1);
    cpu.sys.scr_el3 &= !SCR_NS;
    assert_eq!(run(&mut cpu, &mut p), vec_code(3, 0x400));
}

// ---------------------------------------------------------------------------------------
// The table itself
// ---------------------------------------------------------------------------------------

#[test]
fn table_has_unique_encodings_and_names_resolve() {
    let regs = sysreg::table::registers();
    let mut seen = std::collections::HashSet::new();
    for r in regs {
        assert!(seen.insert(r.enc), "duplicate encoding {:?} ({})", r.enc, r.name);
    }
    for name in ["SCTLR_EL1", "HCR_EL2", "SCR_EL3", "CNTV_CTL_EL0", "PMCR_EL0", "L2CTLR_EL1", "ID_AA64MMFR0_EL1", "OSLAR_EL1", "DAIF"] {
        assert!(sysreg::table::by_name(name).is_some(), "{name}");
    }
}

#[test]
fn table_encodings_match_gnu_as() {
    // Every named register of the table (not the <n> families or reserved ID slots)
    // is assembled by name with `mrs`/`msr`; the encoding must be the table's.
    let skip = |n: &str| n.contains('<') || n == "ID_RESERVED";
    let regs: Vec<_> = sysreg::table::registers().iter().filter(|r| !skip(r.name)).collect();
    // GNU as knows the A72's implementation defined registers only by S-names.
    let known_by_as = |n: &str| !matches!(n, "CPUACTLR_EL1" | "CPUECTLR_EL1" | "CPUMERRSR_EL1" | "L2MERRSR_EL1" | "L2CTLR_EL1" | "L2ECTLR_EL1" | "L2ACTLR_EL1" | "CBAR_EL1" | "SPSR_irq" | "SPSR_abt" | "SPSR_und" | "SPSR_fiq");
    let regs: Vec<_> = regs.into_iter().filter(|r| known_by_as(r.name)).collect();
    let src: String = regs
        .iter()
        .map(|r| match r.acc {
            sysreg::table::Acc::WO => format!("msr {}, x0\n", r.name.to_lowercase()),
            _ => format!("mrs x0, {}\n", r.name.to_lowercase()),
        })
        .collect();
    let words = assemble(&src);
    assert_eq!(words.len(), regs.len());
    for (r, w) in regs.iter().zip(words) {
        let e = SysRegEnc::from_mrs_field((w >> 5) & 0xffff);
        assert_eq!(e, r.enc, "{} assembled as {w:#010x}", r.name);
    }
}

#[test]
fn timer_event_stream_wakes_wfe() {
    let mut cpu = Cpu::new(CpuConfig::default());
    // EVNTEN, EVNTI = 2, EVNTDIR = 0: events on 0->1 transitions of counter bit 2, i.e.
    // at counts 4, 12, 20, ...; EVNTDIR = 1: on 1->0 transitions, at 8, 16, ...
    cpu.sys.cntkctl_el1 = 4 | 2 << 4;
    assert_eq!(cpu.next_event_stream(0), Some(4));
    assert_eq!(cpu.next_event_stream(4), Some(12));
    assert_eq!(cpu.next_event_stream(5), Some(12));
    cpu.sys.cntkctl_el1 |= 8;
    assert_eq!(cpu.next_event_stream(0), Some(8));
    // The EL1 stream uses the virtual count: with CNTVOFF_EL2 = 1 the virtual count is
    // one behind, so the edge at virtual 8 is at physical 9.
    cpu.sys.cntvoff_el2 = 1;
    assert_eq!(cpu.next_event_stream(1), Some(9));
    // The EL2 stream (CNTHCTL_EL2) uses the physical count; the earlier edge wins.
    cpu.sys.cnthctl_el2 = 3 | 4; // EVNTI = 0, 0->1 of bit 0: odd counts
    assert_eq!(cpu.next_event_stream(1), Some(3));
    // A WFE waits until the edge.
    let (mut cpu, mut p) = setup("wfe\n hlt #1");
    at_el(&mut cpu, 1);
    cpu.sys.sctlr[1] |= SCTLR_NTWE;
    cpu.sys.cntkctl_el1 = 4 | 3 << 4; // bit 3 0->1: counts 8, 24, ...
    p.ram.ticks = 2;
    assert_eq!(interp::run(&mut cpu, &mut p, 100), Exit::Wait);
    p.ram.ticks = 7;
    assert_eq!(interp::run(&mut cpu, &mut p, 100), Exit::Wait);
    p.ram.ticks = 8;
    assert_eq!(run(&mut cpu, &mut p), 1);
}

#[test]
fn gic_cpu_interface_registers_go_to_the_platform() {
    let (mut cpu, mut p) = setup("msr icc_pmr_el1, x1\n mrs x2, icc_pmr_el1");
    at_el(&mut cpu, 1);
    cpu.st.x[1] = 0x1f0;
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!(cpu.st.x[2], 0xf0);
    // Registers the platform does not implement: UNDEFINED. EL0: UNDEFINED.
    let (mut cpu, mut p) = setup("mrs x0, icc_iar1_el1");
    at_el(&mut cpu, 1);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
    assert_eq!(rec(&cpu).0, 0x0200_0000);
    let (mut cpu, mut p) = setup("mrs x0, icc_pmr_el1");
    at_el(&mut cpu, 0);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    // An EL2 register (ICH_HCR_EL2) at EL1: UNDEFINED before reaching the platform.
    let (mut cpu, mut p) = setup("mrs x0, ich_hcr_el2");
    at_el(&mut cpu, 1);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
}

#[test]
fn pmu_cycle_counter_counts_instructions_when_enabled() {
    // PMCR_EL0.E = 1 and PMCNTENSET_EL0.C: PMCCNTR counts one per retired instruction
    // (lsemu's cycle model). The MRS reads the count before its own retirement.
    let (mut cpu, mut p) = setup("msr pmcntenset_el0, x1\n msr pmcr_el0, x2\n nop\n nop\n mrs x3, pmccntr_el0\n mrs x4, pmcr_el0");
    cpu.st.x[1] = 1 << 31;
    cpu.st.x[2] = 1 | 4; // E, C (reset the cycle counter)
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!(cpu.st.x[3], 3); // msr pmcr retired, nop, nop
    assert_eq!(cpu.st.x[4], 0x4102_3001); // IMP 0x41, IDCODE 2, N = 6, E; C reads 0
}

#[test]
fn scr_ea_routes_synchronous_external_aborts_to_el3() {
    // A load from an unmapped physical address (bus error: synchronous External abort,
    // DFSC 0x10, EA = 1) at EL1 with SCR_EL3.EA = 1: taken to EL3 from a lower EL
    // (+0x400) with EC 0x24 (Data Abort from a lower EL). ISV = 0 (not taken to EL2).
    let (mut cpu, mut p) = setup("ldr x1, [x0]");
    at_el(&mut cpu, 1);
    cpu.st.x[0] = 0x10;
    cpu.sys.scr_el3 |= SCR_EA;
    assert_eq!(run(&mut cpu, &mut p), vec_code(3, 0x400));
    assert_eq!(rec(&cpu).0, esr(ec::DABT_LOWER, 0x210));
    assert_eq!(rec(&cpu).3, 0x10);
    // Without EA routing: EL1, current EL (+0x200), EC 0x25.
    let (mut cpu, mut p) = setup("ldr x1, [x0]");
    at_el(&mut cpu, 1);
    cpu.st.x[0] = 0x10;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
    assert_eq!(rec(&cpu).0 >> 26, ec::DABT_SAME as u64);
}

#[test]
fn wfi_at_el3_wakes_on_interrupt_routed_to_a_lower_el() {
    // PSCI standby: EL3 waits in WFI for an IRQ that targets EL1 (SCR_EL3.IRQ = 0); the
    // IRQ is a wake-up event although it cannot be taken at EL3.
    let (mut cpu, mut p) = setup("wfi\n hlt #1");
    assert_eq!(interp::run(&mut cpu, &mut p, 100), Exit::Wait);
    p.irq.irq = true;
    assert_eq!(run(&mut cpu, &mut p), 1);
    // And a WFI executed while such an interrupt is pending completes at once.
    let (mut cpu, mut p) = setup("wfi\n hlt #1");
    p.irq.irq = true;
    assert_eq!(run(&mut cpu, &mut p), 1);
}

#[test]
fn dc_zva_zeroes_the_64_byte_block_on_normal_memory() {
    // EL3 with its stage 1 on: TCR_EL3.T0SZ = 32 (walk starts at level 1, 4K granule),
    // one level-1 block descriptor mapping VA 0x8000_0000..0xbfff_ffff to the same PA,
    // AF = 1, AttrIndx 0 = MAIR_EL3 attr0 = 0xff (Normal Write-Back).
    let (mut cpu, mut p) = setup("dc zva, x0");
    let table = BASE + 0x8000;
    p.ram.load(table + 2 * 8, &(0x8000_0000u64 | 1 << 10 | 3 << 8 | 0b01).to_le_bytes());
    p.ram.load(BASE + 0x3fc0, &[0xffu8; 0xc0]);
    cpu.sys.ttbr0[3] = table;
    cpu.sys.tcr[3] = 0x8080_0000 | 2 << 16 | 3 << 12 | 1 << 10 | 1 << 8 | 32;
    cpu.sys.mair[3] = 0xff;
    cpu.sys.sctlr[3] |= SCTLR_M;
    cpu.st.x[0] = BASE + 0x4010;
    assert_eq!(run(&mut cpu, &mut p), END);
    let m = |a: u64| p.ram.mem[(a - BASE) as usize];
    assert_eq!(m(BASE + 0x3fff), 0xff);
    assert!((0x4000..0x4040).all(|o| m(BASE + o) == 0), "the aligned 64-byte block is zero");
    assert_eq!(m(BASE + 0x4040), 0xff);
}

#[test]
fn every_register_access_at_every_el_is_total() {
    // Robustness: MRS/MSR of every table register and of every encoding of a few
    // spaces, at every EL and security state, with all-ones and zero values, returns a
    // value or an exception and never panics.
    let mut encs: Vec<SysRegEnc> = sysreg::table::registers().iter().map(|r| r.enc).collect();
    for op1 in [0u8, 3, 4, 6] {
        for crm in 0..16u8 {
            for op2 in 0..8u8 {
                encs.push(SysRegEnc::new(3, op1, 9, crm, op2));
                encs.push(SysRegEnc::new(3, op1, 14, crm, op2));
                encs.push(SysRegEnc::new(3, op1, 12, crm, op2));
                encs.push(SysRegEnc::new(2, op1, 0, crm, op2));
            }
        }
    }
    let (_, mut p) = setup("nop");
    for el in 0..=3u8 {
        for ns in [false, true] {
            for v in [0u64, u64::MAX] {
                let mut cpu = Cpu::new(CpuConfig::default());
                at_el(&mut cpu, el);
                if ns {
                    cpu.sys.scr_el3 |= SCR_NS;
                }
                cpu.sys.pmselr_el0 = v & 31;
                cpu.sys.csselr_el1 = v & 0xf;
                for e in &encs {
                    let raw = 0xd530_0000 | ((e.op0 as u32 - 2) << 19) | (e.op1 as u32) << 16 | (e.crn as u32) << 12 | (e.crm as u32) << 8 | (e.op2 as u32) << 5;
                    let _ = sysreg::mrs(&mut cpu, &mut p, *e, raw);
                    let _ = sysreg::msr(&mut cpu, &mut p, *e, v, raw & !(1 << 21));
                    at_el(&mut cpu, el);
                }
            }
        }
    }
}

#[test]
fn software_step_from_el1_to_el0() {
    // MDSCR_EL1.SS = 1, OS lock clear; ERET from EL1 to EL0 with SPSR.SS = 1: EL0 runs
    // one instruction (active-not-pending), then takes the Software Step exception to
    // EL1 (EC 0x32 from a lower EL, ISS ISV = 1, EX = 0, IFSC = 0x22 -> ESR 0xcb000022),
    // ELR = the next instruction, SPSR.SS = 0.
    let (mut cpu, mut p) = setup("eret\n nop\n nop\n hlt #1");
    at_el(&mut cpu, 1);
    cpu.sys.oslsr_el1 = 0;
    cpu.sys.mdscr_el1 = 1;
    cpu.st.elr[1] = BASE + 4;
    cpu.st.spsr[1] = 0x3c0 | 1 << 21;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0, 0xcb00_0022);
    assert_eq!(rec(&cpu).1, BASE + 8);
    assert_eq!(rec(&cpu).2, 0x3c0);
    // SPSR.SS = 0: active-pending at once, no instruction executes.
    let (mut cpu, mut p) = setup("eret\n nop\n nop\n hlt #1");
    at_el(&mut cpu, 1);
    cpu.sys.oslsr_el1 = 0;
    cpu.sys.mdscr_el1 = 1;
    cpu.st.elr[1] = BASE + 4;
    cpu.st.spsr[1] = 0x3c0;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).1, BASE + 4);
    // A stepped load-exclusive sets ISS.EX.
    let (mut cpu, mut p) = setup("eret\n ldxr x1, [x0]\n nop\n hlt #1");
    at_el(&mut cpu, 1);
    cpu.sys.oslsr_el1 = 0;
    cpu.sys.mdscr_el1 = 1;
    cpu.st.x[0] = BASE + 0x4000;
    cpu.st.elr[1] = BASE + 4;
    cpu.st.spsr[1] = 0x3c0 | 1 << 21;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0, 0xcb00_0062);
    // A stepped SVC completes its step (SSAdvance): SPSR.SS = 0 in the SVC exception.
    let (mut cpu, mut p) = setup("eret\n svc #0\n hlt #1");
    at_el(&mut cpu, 1);
    cpu.sys.oslsr_el1 = 0;
    cpu.sys.mdscr_el1 = 1;
    cpu.st.elr[1] = BASE + 4;
    cpu.st.spsr[1] = 0x3c0 | 1 << 21;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0, esr(ec::SVC64, 0));
    assert_eq!(rec(&cpu).2, 0x3c0);
    // An UNDEFINED instruction does not complete its step: SPSR.SS = 1.
    let (mut cpu, mut p) = setup("eret\n mrs x0, sctlr_el1\n hlt #1");
    at_el(&mut cpu, 1);
    cpu.sys.oslsr_el1 = 0;
    cpu.sys.mdscr_el1 = 1;
    cpu.st.elr[1] = BASE + 4;
    cpu.st.spsr[1] = 0x3c0 | 1 << 21;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0, 0x0200_0000);
    assert_eq!(rec(&cpu).2, 0x3c0 | 1 << 21);
    // With the OS lock set (its reset state) nothing is stepped.
    let (mut cpu, mut p) = setup("eret\n nop\n hlt #1");
    at_el(&mut cpu, 1);
    cpu.sys.mdscr_el1 = 1;
    cpu.st.elr[1] = BASE + 4;
    cpu.st.spsr[1] = 0x3c0 | 1 << 21;
    assert_eq!(run(&mut cpu, &mut p), 1);
}

#[test]
fn hardware_breakpoints() {
    // DBGBCR0 = E | PMC 0b11 (EL1 and EL0) | BAS 0b1111, DBGBVR0 = the second
    // instruction, MDSCR_EL1.MDE and KDE set, OS lock clear, PSTATE.D clear: at EL1 (the
    // debug target itself) a Breakpoint exception, EC 0x31, ISS IFSC 0x22 -> ESR
    // 0xc6000022, ELR = the breakpointed instruction, vector +0x200.
    let (mut cpu, mut p) = setup("nop\n nop\n hlt #1");
    at_el(&mut cpu, 1);
    cpu.sys.oslsr_el1 = 0;
    cpu.sys.mdscr_el1 = 1 << 15 | 1 << 13;
    cpu.sys.dbgbcr[0] = 1 | 3 << 1 | 0xf << 5;
    cpu.sys.dbgbvr[0] = BASE + 4;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
    assert_eq!(rec(&cpu).0, 0xc600_0022);
    assert_eq!(rec(&cpu).1, BASE + 4);
    // Without KDE, EL1 cannot debug itself: no exception.
    let (mut cpu, mut p) = setup("nop\n nop\n hlt #1");
    at_el(&mut cpu, 1);
    cpu.sys.oslsr_el1 = 0;
    cpu.sys.mdscr_el1 = 1 << 15;
    cpu.sys.dbgbcr[0] = 1 | 3 << 1 | 0xf << 5;
    cpu.sys.dbgbvr[0] = BASE + 4;
    assert_eq!(run(&mut cpu, &mut p), 1);
    // EL0 with PMC = 0b10: to EL1 from a lower EL, EC 0x30 -> 0xc2000022, +0x400. With
    // MDCR_EL2.TDE the debug target is EL2.
    for (tde, el) in [(false, 1u8), (true, 2)] {
        let (mut cpu, mut p) = setup("nop\n nop\n hlt #1");
        at_el(&mut cpu, 0);
        cpu.sys.oslsr_el1 = 0;
        cpu.sys.mdscr_el1 = 1 << 15;
        cpu.sys.dbgbcr[3] = 1 | 2 << 1 | 0xf << 5;
        cpu.sys.dbgbvr[3] = BASE + 4;
        if tde {
            cpu.sys.mdcr_el2 |= MDCR_TDE;
        }
        assert_eq!(run(&mut cpu, &mut p), vec_code(el, 0x400));
        assert_eq!(rec(&cpu).0, 0xc200_0022);
    }
    // PMC = 0b01 (EL1 only) does not match at EL0.
    let (mut cpu, mut p) = setup("nop\n nop\n hlt #1");
    at_el(&mut cpu, 0);
    cpu.sys.oslsr_el1 = 0;
    cpu.sys.mdscr_el1 = 1 << 15;
    cpu.sys.dbgbcr[0] = 1 | 1 << 1 | 0xf << 5;
    cpu.sys.dbgbvr[0] = BASE + 4;
    assert_eq!(run(&mut cpu, &mut p), 1);
}

#[test]
fn hardware_watchpoints() {
    // DBGWCR0 = E | PAC 0b10 (EL0) | LSC 0b10 (stores) | BAS 0xff, DBGWVR0 = a
    // doubleword: an EL0 store to its byte 4 raises a Watchpoint exception to EL1, EC
    // 0x34 (lower EL), WnR, DFSC 0x22 -> ESR 0xd2000062, FAR = the store's address,
    // ELR = the store (not executed: memory unchanged).
    let wp = BASE + 0x4000;
    let (mut cpu, mut p) = setup("strb w1, [x0]\n hlt #1");
    at_el(&mut cpu, 0);
    cpu.sys.oslsr_el1 = 0;
    cpu.sys.mdscr_el1 = 1 << 15;
    cpu.sys.dbgwcr[0] = 1 | 2 << 1 | 2 << 3 | 0xff << 5;
    cpu.sys.dbgwvr[0] = wp;
    cpu.st.x[0] = wp + 4;
    cpu.st.x[1] = 0x5a;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0, 0xd200_0062);
    assert_eq!(rec(&cpu).1, BASE);
    assert_eq!(rec(&cpu).3, wp + 4);
    assert_eq!(p.ram.mem[0x4004], 0);
    // Loads do not match LSC = stores; BAS = 0x0f does not cover byte 4.
    let (mut cpu, mut p) = setup("ldrb w1, [x0]\n strb w1, [x0]\n hlt #1");
    at_el(&mut cpu, 0);
    cpu.sys.oslsr_el1 = 0;
    cpu.sys.mdscr_el1 = 1 << 15;
    cpu.sys.dbgwcr[1] = 1 | 2 << 1 | 2 << 3 | 0x0f << 5;
    cpu.sys.dbgwvr[1] = wp;
    cpu.st.x[0] = wp + 4;
    assert_eq!(run(&mut cpu, &mut p), 1);
    // A 16-byte EL0 load at 0x4000 overlapping a MASK = 3 (8-byte range) load
    // watchpoint at 0x4008: EC 0x34, WnR = 0 -> ESR 0xd2000022, FAR = the first watched
    // byte of the access (0x4008).
    let wp = BASE + 0x4008;
    let (mut cpu, mut p) = setup("ldr q0, [x0]\n hlt #1");
    at_el(&mut cpu, 0);
    cpu.sys.cpacr_el1 = 3 << 20;
    cpu.sys.oslsr_el1 = 0;
    cpu.sys.mdscr_el1 = 1 << 15;
    cpu.sys.dbgwcr[2] = 1 | 2 << 1 | 1 << 3 | 0xff << 5 | 3 << 24;
    cpu.sys.dbgwvr[2] = wp;
    cpu.st.x[0] = BASE + 0x4000;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x400));
    assert_eq!(rec(&cpu).0, 0xd200_0022);
    assert_eq!(rec(&cpu).3, wp);
}

#[test]
fn el0_special_registers_keep_the_v80_bits() {
    // All-ones written at EL0 and read back. Expected values: the ARMv8.0 fields of each
    // register (FPCR AHP/DN/FZ/RMode/Stride/Len, trap enables RAZ/WI on the A72; FPSR
    // NZCV/QC/IDC/IXC/UFC/OFC/DZC/IOC); the same values qemu-aarch64 -cpu cortex-a72
    // returns for this sequence (checked by hand: 0x7f70000, 0xf800009f, 0xf0000000).
    let (mut cpu, mut p) = setup("msr fpcr, x0\n mrs x1, fpcr\n msr fpsr, x0\n mrs x2, fpsr\n msr nzcv, x0\n mrs x3, nzcv\n msr tpidr_el0, x0\n mrs x4, tpidr_el0\n mrs x5, ctr_el0");
    at_el(&mut cpu, 0);
    cpu.sys.cpacr_el1 = 3 << 20;
    cpu.sys.sctlr[1] |= SCTLR_UCT;
    cpu.st.x[0] = u64::MAX;
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!(&cpu.st.x[1..6], &[0x07f7_0000, 0xf800_009f, 0xf000_0000, u64::MAX, 0x8444_c004]);
}

// ---------------------------------------------------------------------------------------
// EL2 controls KVM relies on (issue 6). Expected ESR values are worked out by hand from
// the Arm ARM (DDI 0487): EC 0x18 ISS = Op0[21:20] Op2[19:17] Op1[16:14] CRn[13:10]
// Rt[9:5] CRm[4:1] Direction[0] (1 = read); ESR = EC << 26 | IL (bit 25) | ISS.
// ---------------------------------------------------------------------------------------

#[test]
fn hcr_tsw_tdz_tpc_trap_el1_with_the_sys_iss() {
    // HCR_EL2.TSW: DC CISW, X3 (SYS #0, C7, C14, #2) at EL1 -> EL2:
    // Op0=1, Op2=2, Op1=0, CRn=7, Rt=3, CRm=14, Dir=0 -> ISS 0x141c7c.
    let (mut cpu, mut p) = setup("dc cisw, x3");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_TSW;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x6214_1c7c);
    assert_eq!(rec(&cpu).1, BASE, "ELR_EL2 = the trapped instruction");
    // DC CSW, X6 (SYS #0, C7, C10, #2): ISS 0x141cd4. Without TSW it executes.
    let (mut cpu, mut p) = setup("dc csw, x6");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_TSW;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x6214_1cd4);
    let (mut cpu, mut p) = setup("dc csw, x6\n dc isw, x6");
    at_el(&mut cpu, 1);
    assert_eq!(run(&mut cpu, &mut p), END);
    // HCR_EL2.TPC: DC CVAC, X5 (SYS #3, C7, C10, #1) at EL1: Op0=1 Op2=1 Op1=3 CRn=7 Rt=5
    // CRm=10 -> ISS 0x12dcb4.
    let (mut cpu, mut p) = setup("dc cvac, x5");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_TPC;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x6212_dcb4);
    // HCR_EL2.TDZ: DC ZVA, X4 (SYS #3, C7, C4, #1) at EL1: ISS 0x12dc88; it is checked
    // before the access, so no alignment fault although the MMU is off (Device memory).
    let (mut cpu, mut p) = setup("mrs x1, dczid_el0\n dc zva, x4");
    at_el(&mut cpu, 1);
    cpu.st.x[4] = BASE + 0x4000;
    cpu.sys.hcr_el2 |= HCR_TDZ;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x6212_dc88);
    // DCZID_EL0.DZP (bit 4) reads 1 at EL1 when TDZ prohibits DC ZVA; BS = 4 (64 bytes).
    assert_eq!(cpu.st.x[1], 0x14);
    // EL0 with SCTLR_EL1.DZE = 1: TDZ traps it to EL2 (not EL1); lower-EL vector.
    let (mut cpu, mut p) = setup("mrs x1, dczid_el0\n dc zva, x4");
    at_el(&mut cpu, 0);
    cpu.sys.sctlr[1] |= SCTLR_DZE;
    cpu.sys.hcr_el2 |= HCR_TDZ;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x6212_dc88);
    assert_eq!(cpu.st.x[1], 0x14);
    // At EL2 TDZ does not apply: DZP = 0.
    let (mut cpu, mut p) = setup("mrs x1, dczid_el0");
    at_el(&mut cpu, 2);
    cpu.sys.hcr_el2 |= HCR_TDZ;
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!(cpu.st.x[1], 0x04);
}

#[test]
fn virtual_fiq_injection_and_its_conditions() {
    // HCR_EL2.FMO + VF at EL1: virtual FIQ to EL1, current EL with SP_ELx (+0x300).
    let (mut cpu, mut p) = setup("nop");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_FMO | HCR_VF;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x300));
    assert_eq!(rec(&cpu).1, BASE, "ELR_EL1 = the instruction not executed");
    // From EL0: lower EL using AArch64, FIQ (+0x500) at EL1.
    let (mut cpu, mut p) = setup("nop");
    at_el(&mut cpu, 0);
    cpu.sys.hcr_el2 |= HCR_FMO | HCR_VF;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x500));
    // Masked by PSTATE.F at EL1; VF without FMO has no effect; never taken at EL2; not
    // signalled with HCR_EL2.TGE = 1 (virtual interrupts need TGE = 0).
    for (el, hcr, daif) in [(1u8, HCR_FMO | HCR_VF, crate::state::DAIF_F), (1, HCR_VF, 0), (2, HCR_FMO | HCR_VF, 0), (0, HCR_FMO | HCR_VF | HCR_TGE, 0)] {
        let (mut cpu, mut p) = setup("nop");
        at_el(&mut cpu, el);
        cpu.st.pstate.daif = daif;
        cpu.sys.hcr_el2 |= hcr;
        assert_eq!(run(&mut cpu, &mut p), END, "EL{el} HCR {hcr:#x} DAIF {daif:#x}");
    }
    // VI at EL2 is not taken either, and a virtual IRQ is masked by PSTATE.I, not F.
    let (mut cpu, mut p) = setup("nop");
    at_el(&mut cpu, 2);
    cpu.sys.hcr_el2 |= HCR_IMO | HCR_VI;
    assert_eq!(run(&mut cpu, &mut p), END);
    let (mut cpu, mut p) = setup("nop");
    at_el(&mut cpu, 1);
    cpu.st.pstate.daif = crate::state::DAIF_F;
    cpu.sys.hcr_el2 |= HCR_IMO | HCR_VI;
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x280));
    // A physical IRQ with IMO goes to EL2 (+0x480 from EL1) before the virtual one.
    let (mut cpu, mut p) = setup("nop");
    at_el(&mut cpu, 1);
    cpu.sys.hcr_el2 |= HCR_IMO | HCR_VI;
    p.irq.irq = true;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x480));
}

#[test]
fn mdcr_el2_debug_and_pmu_traps() {
    // MDCR_EL2.TDA: MRS X0, MDSCR_EL1 (Op0=2 Op1=0 CRn=0 CRm=2 Op2=2) at EL1 -> EL2,
    // ISS = 2<<20 | 2<<17 | 2<<1 | 1 = 0x240005.
    let (mut cpu, mut p) = setup("mrs x0, mdscr_el1");
    at_el(&mut cpu, 1);
    cpu.sys.mdcr_el2 |= MDCR_TDA;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x6224_0005);
    // MDCR_EL2.TDRA: MRS X3, MDRAR_EL1 (2,0,1,0,0): ISS 0x200461.
    let (mut cpu, mut p) = setup("mrs x3, mdrar_el1");
    at_el(&mut cpu, 1);
    cpu.sys.mdcr_el2 |= MDCR_TDRA;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x6220_0461);
    // MDCR_EL2.TDOSA: MRS X4, OSLSR_EL1 (2,0,1,1,4): ISS 0x280483.
    let (mut cpu, mut p) = setup("mrs x4, oslsr_el1");
    at_el(&mut cpu, 1);
    cpu.sys.mdcr_el2 |= MDCR_TDOSA;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x6228_0483);
    // MDCR_EL2.TDE: "the PE behaves as if TDA, TDOSA and TDRA are 1" for EL0/EL1.
    for insn in ["mrs x0, mdscr_el1", "mrs x3, mdrar_el1", "mrs x4, oslsr_el1"] {
        let (mut cpu, mut p) = setup(insn);
        at_el(&mut cpu, 1);
        cpu.sys.mdcr_el2 |= MDCR_TDE;
        assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400), "{insn}");
    }
    // None of them trap EL2 itself.
    let (mut cpu, mut p) = setup("mrs x0, mdscr_el1\n mrs x3, mdrar_el1\n mrs x4, oslsr_el1");
    at_el(&mut cpu, 2);
    cpu.sys.mdcr_el2 |= MDCR_TDA | MDCR_TDRA | MDCR_TDOSA | MDCR_TDE;
    assert_eq!(run(&mut cpu, &mut p), END);
    // MDCR_EL2.TPM: MRS X1, PMCCNTR_EL0 (3,3,9,13,0) at EL1: ISS 0x30e43b.
    let (mut cpu, mut p) = setup("mrs x1, pmccntr_el0");
    at_el(&mut cpu, 1);
    cpu.sys.mdcr_el2 |= MDCR_TPM;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x6230_e43b);
    // At EL0 (PMUSERENR_EL0.EN = 1 so EL1 does not trap first) TPM traps to EL2 too.
    let (mut cpu, mut p) = setup("mrs x1, pmccntr_el0");
    at_el(&mut cpu, 0);
    cpu.sys.pmuserenr_el0 = 1;
    cpu.sys.mdcr_el2 |= MDCR_TPM;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    // MDCR_EL2.TPMCR traps PMCR_EL0 only: MSR PMCR_EL0, X2 (3,3,9,12,0) -> ISS 0x30e458;
    // PMCCNTR_EL0 is not affected.
    let (mut cpu, mut p) = setup("mrs x1, pmccntr_el0\n msr pmcr_el0, x2");
    at_el(&mut cpu, 1);
    cpu.sys.mdcr_el2 |= MDCR_TPMCR;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x6230_e458);
    assert_eq!(rec(&cpu).1, BASE + 4);
}

#[test]
fn cnthctl_el2_traps_el0_and_el1_physical_counter_and_timer() {
    // CNTHCTL_EL2.EL1PCTEN = 0: MRS X5, CNTPCT_EL0 (3,3,14,0,1) at EL1 -> EL2,
    // ISS 0x32f8a1. CNTVCT_EL0 is never trapped by CNTHCTL_EL2 in ARMv8.0.
    let (mut cpu, mut p) = setup("mrs x6, cntvct_el0\n mrs x5, cntpct_el0");
    at_el(&mut cpu, 1);
    cpu.sys.cnthctl_el2 = 2; // EL1PCEN only
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x6232_f8a1);
    assert_eq!(rec(&cpu).1, BASE + 4);
    // At EL0 with CNTKCTL_EL1.EL0PCTEN = 1 it traps to EL2 as well.
    let (mut cpu, mut p) = setup("mrs x5, cntpct_el0");
    at_el(&mut cpu, 0);
    cpu.sys.cntkctl_el1 = 1;
    cpu.sys.cnthctl_el2 = 2;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    // EL1PCEN = 0: MSR CNTP_CTL_EL0, X6 (3,3,14,2,1) -> ISS 0x32f8c4; EL0 (with
    // EL0PTEN) too.
    let (mut cpu, mut p) = setup("msr cntp_ctl_el0, x6");
    at_el(&mut cpu, 1);
    cpu.sys.cnthctl_el2 = 1; // EL1PCTEN only
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x6232_f8c4);
    let (mut cpu, mut p) = setup("mrs x0, cntp_cval_el0");
    at_el(&mut cpu, 0);
    cpu.sys.cntkctl_el1 = 1 << 9;
    cpu.sys.cnthctl_el2 = 1;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    // EL2 is never trapped by its own controls.
    let (mut cpu, mut p) = setup("mrs x5, cntpct_el0\n mrs x0, cntp_ctl_el0");
    at_el(&mut cpu, 2);
    cpu.sys.cnthctl_el2 = 0;
    assert_eq!(run(&mut cpu, &mut p), END);
}

#[test]
fn el2_physical_timer_and_virtual_offset() {
    // CNTHP_TVAL_EL2 = 300 at count 1000 -> CVAL 1300; ISTATUS once count >= CVAL; the
    // level (PPI 26 on the board) needs ENABLE = 1 and IMASK = 0.
    let (mut cpu, mut p) = setup("msr cnthp_tval_el2, x1\n msr cnthp_ctl_el2, x2\n mrs x3, cnthp_cval_el2\n mrs x4, cnthp_ctl_el2");
    at_el(&mut cpu, 2);
    p.ram.ticks = 1000;
    cpu.st.x[1] = 300;
    cpu.st.x[2] = 1;
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!((cpu.st.x[3], cpu.st.x[4]), (1300, 1));
    assert_eq!(cpu.timer_irqs(1299), TimerLevels::default());
    assert_eq!(cpu.timer_irqs(1300), TimerLevels { hyp: true, ..Default::default() });
    assert_eq!(cpu.timer_deadline(1000), Some(1300));
    // CNTHP_* are EL2 registers: UNDEFINED at EL1.
    let (mut cpu, mut p) = setup("mrs x0, cnthp_ctl_el2");
    at_el(&mut cpu, 1);
    assert_eq!(run(&mut cpu, &mut p), vec_code(1, 0x200));
    assert_eq!(rec(&cpu).0, 0x0200_0000);
    // CNTVOFF_EL2 applies at EL1 too: CNTVCT_EL0 = CNTPCT_EL0 - CNTVOFF_EL2, and the
    // virtual timer compares against the virtual count (fires at physical 5000 + 700).
    let (mut cpu, mut p) = setup("mrs x1, cntvct_el0\n msr cntv_cval_el0, x2\n msr cntv_ctl_el0, x3");
    at_el(&mut cpu, 1);
    p.ram.ticks = 5000;
    cpu.sys.cntvoff_el2 = 5000;
    cpu.st.x[2] = 700;
    cpu.st.x[3] = 1;
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!(cpu.st.x[1], 0);
    assert!(!cpu.timer_irqs(5699).virt);
    assert!(cpu.timer_irqs(5700).virt);
    assert_eq!(cpu.timer_deadline(5000), Some(5700));
}

/// Stage 2 for EL1 with stage 1 off: VTCR_EL2 T0SZ = 32 (4 GiB IPA), SL0 = 1 (start at
/// level 1, 4K granule), so the level-1 table has 4 entries (IPA[31:30]). Entry 2 maps
/// the 1 GiB block IPA 0x8000_0000 -> PA 0x8000_0000 (the test code), Normal WB, S2AP
/// RW, AF; entry 0 (IPA 0x1000_0000) is invalid.
fn stage2_setup(code: &str) -> (Cpu, TestPlat) {
    let (mut cpu, mut p) = setup(code);
    let table = BASE + 0x8000;
    // Block descriptor: OA | AF (bit 10) | SH = 11 (9:8) | S2AP = 11 (7:6) | MemAttr = 1111
    // (5:2) | 0b01.
    let block: u64 = 0x8000_0000 | 1 << 10 | 3 << 8 | 3 << 6 | 0xf << 2 | 1;
    p.ram.load(table + 16, &block.to_le_bytes());
    // VTCR_EL2: RES1 bit 31, SH0 = 11, ORGN0 = IRGN0 = 01, SL0 = 01, T0SZ = 32, PS = 0.
    cpu.sys.vtcr_el2 = 1 << 31 | 3 << 12 | 1 << 10 | 1 << 8 | 1 << 6 | 32;
    cpu.sys.vttbr_el2 = 7 << 48 | table;
    cpu.sys.hcr_el2 |= HCR_VM;
    at_el(&mut cpu, 1);
    (cpu, p)
}

#[test]
fn stage2_data_abort_syndrome_hpfar_and_far() {
    // LDRSH X2, [X21, #0x30] to the unmapped IPA 0x1000_0030: stage-2 translation fault,
    // level 1, taken to EL2 as EC 0x24 (data abort from a lower EL). ISS: ISV = 1 (bit 24),
    // SAS = 01 (halfword, 23:22), SSE = 1 (21), SRT = 2 (20:16), SF = 1 (15, 64-bit
    // register), AR = 0, FnV = 0, EA = 0, CM = 0, S1PTW = 0, WnR = 0, DFSC = 0b000101.
    // -> ESR_EL2 = 0x9362_8005. FAR_EL2 = the VA, HPFAR_EL2.FIPA (bits 39:4) = IPA[47:12].
    let (mut cpu, mut p) = stage2_setup("ldrsh x2, [x21, #0x30]");
    cpu.st.x[21] = 0x1000_0000;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    let (esr_el2, elr, _, far) = rec(&cpu);
    assert_eq!(esr_el2, 0x9362_8005);
    assert_eq!((elr, far), (BASE, 0x1000_0030));
    assert_eq!(cpu.sys.hpfar_el2, 0x10000 << 4);
    // STRB W7, [X21, #0x18]: SAS = 00, SSE = 0, SRT = 7, SF = 0, WnR = 1 -> 0x9307_0045.
    let (mut cpu, mut p) = stage2_setup("strb w7, [x21, #0x18]");
    cpu.st.x[21] = 0x1000_0000;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x9307_0045);
    assert_eq!(cpu.sys.hpfar_el2, 0x10000 << 4);
    // LDR W1, [X21, #0x20]: SAS = 10, SRT = 1, SF = 0 -> 0x9381_0005.
    let (mut cpu, mut p) = stage2_setup("ldr w1, [x21, #0x20]");
    cpu.st.x[21] = 0x1000_0000;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x9381_0005);
    // STLR X9 (acquire/release): SAS = 11, SRT = 9, SF = 1, AR = 1 (bit 14) -> 0x93c9_c045.
    let (mut cpu, mut p) = stage2_setup("stlr x9, [x21]");
    cpu.st.x[21] = 0x1000_0000;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x93c9_c045);
    // ISV = 0 for a store with writeback and for a pair: only WnR and DFSC.
    for insn in ["str x1, [x21], #8", "stp x1, x2, [x21]"] {
        let (mut cpu, mut p) = stage2_setup(insn);
        cpu.st.x[21] = 0x1000_0000;
        assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400), "{insn}");
        assert_eq!(rec(&cpu).0, 0x9200_0045, "{insn}");
    }
    // Instruction fetch from the unmapped IPA: EC 0x20, IFSC = translation level 1, and
    // ESR_EL2 has no instruction syndrome; FAR = HPFAR source address.
    let (mut cpu, mut p) = stage2_setup("br x21");
    cpu.st.x[21] = 0x1000_0040;
    assert_eq!(run(&mut cpu, &mut p), vec_code(2, 0x400));
    assert_eq!(rec(&cpu).0, 0x8200_0005);
    assert_eq!((rec(&cpu).1, rec(&cpu).3), (0x1000_0040, 0x1000_0040));
    assert_eq!(cpu.sys.hpfar_el2, 0x10000 << 4);
    // The mapped block works (code runs from it): a load from BASE + 0x100 succeeds.
    let (mut cpu, mut p) = stage2_setup("ldr x3, [x21]");
    cpu.st.x[21] = BASE + 0x100;
    assert_eq!(run(&mut cpu, &mut p), END);
}

#[test]
fn pmcr_n_reads_mdcr_el2_hpmn_below_el2() {
    // PMCR_EL0.N [15:11] is 6 on the Cortex-A72 (TRM: six event counters); at EL1 with EL2
    // enabled it reads MDCR_EL2.HPMN (Arm ARM PMCR_EL0.N), here 2.
    let (mut cpu, mut p) = setup("mrs x1, pmcr_el0");
    at_el(&mut cpu, 2);
    cpu.sys.mdcr_el2 = (cpu.sys.mdcr_el2 & !0x1f) | 2;
    assert_eq!(run(&mut cpu, &mut p), END);
    let el2 = cpu.st.x[1];
    assert_eq!(el2 >> 11 & 0x1f, 6);
    let (mut cpu, mut p) = setup("mrs x1, pmcr_el0");
    at_el(&mut cpu, 1);
    cpu.sys.mdcr_el2 = (cpu.sys.mdcr_el2 & !0x1f) | 2;
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!(cpu.st.x[1], (el2 & !(0x1f << 11)) | 2 << 11);
    // Secure EL1 (EL2 not enabled): the real N.
    let (mut cpu, mut p) = setup("mrs x1, pmcr_el0");
    at_el(&mut cpu, 1);
    cpu.sys.scr_el3 &= !SCR_NS;
    cpu.sys.mdcr_el2 = (cpu.sys.mdcr_el2 & !0x1f) | 2;
    assert_eq!(run(&mut cpu, &mut p), END);
    assert_eq!(cpu.st.x[1] >> 11 & 0x1f, 6);
}
