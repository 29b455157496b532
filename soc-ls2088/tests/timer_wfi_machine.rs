//! A PE that arms its physical timer with a compare value already reached and executes
//! WFI at once must be woken by the timer interrupt (Arm ARM D11.2.4: the timer condition
//! is met, so the timer's interrupt is asserted; WFI wake-up events include any
//! pending physical interrupt, masked by PSTATE or not). The machine used to report a
//! deadlock here: every PE waited, the firing timer had no future deadline, and its level
//! had not reached the GIC yet.

mod common;

use cpu_aarch64::platform::BusAttrs;
use soc_ls2088::machine::{Firmware, RunExit};
use soc_ls2088::{board, Machine};

const RAM: u64 = 0x8000_0000;

/// A Secure, privileged write (as the EL3 program would make it).
fn w32(m: &mut Machine, pa: u64, v: u32) {
    common::w32_as(m, pa, v, BusAttrs { secure: true, privileged: true, ..Default::default() });
}

#[test]
fn wfi_with_an_already_firing_timer_wakes() {
    let mut m = common::machine(Firmware::BareMetal, 1);
    // Encodings from aarch64-linux-gnu-as (binutils 2.40):
    let prog: [u32; 9] = [
        0xd2801e00, // mov x0, #0xf0
        0xd5184600, // msr icc_pmr_el1, x0
        0xd2800020, // mov x0, #1
        0xd518ccc0, // msr icc_igrpen0_el1, x0
        0xd51be25f, // msr cntp_cval_el0, xzr
        0xd51be220, // msr cntp_ctl_el0, x0   (ENABLE, IMASK clear)
        0xd503207f, // wfi
        0xd2800ee1, // mov x1, #0x77
        0x14000000, // b .
    ];
    for (i, w) in prog.iter().enumerate() {
        w32(&mut m, RAM + 4 * i as u64, *w);
    }
    m.cpus[0].st.pc = RAM;
    // The GIC as Secure EL3 software sets it up for a Group 0 PPI (IHI 0069): GICD_CTLR
    // EnableGrp0; the redistributor awake (GICR_WAKER.ProcessorSleep = 0); PPI 30 (the
    // EL1 physical timer) enabled in GICR_ISENABLER0 (SGI frame + 0x100). Its group
    // (GICR_IGROUPR0) and priority reset to 0: Group 0, highest priority.
    w32(&mut m, board::GICD_BASE, 1);
    w32(&mut m, board::GICR_BASE + 0x14, 0);
    w32(&mut m, board::GICR_BASE + 0x1_0000 + 0x100, 1 << 30);
    let x = m.run(Some(200_000));
    assert_eq!(x, RunExit::InsnLimit, "the PE must wake and spin, not deadlock");
    assert_eq!(m.cpus[0].st.x[1], 0x77, "the instruction after WFI ran");
}

/// A timer interrupt handler that masks the timer (CNTP_CTL_EL0.IMASK = 1) and ends the
/// interrupt is not interrupted again: the timer's output is ENABLE && ISTATUS && !IMASK
/// (Arm ARM D11.2.4), so the write lowers the PPI at once and, the interrupt being
/// level-sensitive, the GIC has nothing pending after the EOI (IHI 0069: a deasserted
/// level interrupt is not pending). Expected by hand: exactly one FIQ in 200 000
/// instructions. The machine used to drive the timer PPIs only at each turn (every
/// 10 000 instructions), so the stale high level re-pended the PPI after every EOI and
/// the handler ran again and again until the next turn (the Linux boot took ~3 800 such
/// spurious timer interrupts, one burst after every tick).
#[test]
fn a_masked_timer_does_not_interrupt_again() {
    let mut m = common::machine(Firmware::BareMetal, 1);
    // Encodings from aarch64-linux-gnu-as (binutils 2.40); the FIQ vector (current EL,
    // SP_ELx: VBAR + 0x300) at RAM + 0xb00 with VBAR_EL3 = RAM + 0x800.
    let main: [u32; 16] = [
        0x10004000, // adr x0, RAM + 0x800
        0xd51ec000, // msr vbar_el3, x0
        0xd53e1100, // mrs x0, scr_el3
        0xb27e0000, // orr x0, x0, #4        (SCR_EL3.FIQ: FIQs taken to EL3)
        0xd51e1100, // msr scr_el3, x0
        0xd5033fdf, // isb
        0xd2801e00, // mov x0, #0xf0
        0xd5184600, // msr icc_pmr_el1, x0
        0xd2800020, // mov x0, #1
        0xd518ccc0, // msr icc_igrpen0_el1, x0
        0xd2800003, // mov x3, #0            (interrupts taken)
        0xd51be25f, // msr cntp_cval_el0, xzr (the condition holds at once)
        0xd51be220, // msr cntp_ctl_el0, x0   (ENABLE, IMASK clear)
        0xd50341ff, // msr daifclr, #1        (unmask FIQ)
        0x91000484, // 1: add x4, x4, #1
        0x17ffffff, // b 1b
    ];
    let handler: [u32; 6] = [
        0xd538c802, // mrs x2, icc_iar0_el1
        0x91000463, // add x3, x3, #1
        0xd2800060, // mov x0, #3            (ENABLE | IMASK)
        0xd51be220, // msr cntp_ctl_el0, x0
        0xd518c822, // msr icc_eoir0_el1, x2
        0xd69f03e0, // eret
    ];
    for (i, w) in main.iter().enumerate() {
        w32(&mut m, RAM + 4 * i as u64, *w);
    }
    for (i, w) in handler.iter().enumerate() {
        w32(&mut m, RAM + 0xb00 + 4 * i as u64, *w);
    }
    m.cpus[0].st.pc = RAM;
    // The GIC set up as in the test above: Group 0 PPI 30 enabled.
    w32(&mut m, board::GICD_BASE, 1);
    w32(&mut m, board::GICR_BASE + 0x14, 0);
    w32(&mut m, board::GICR_BASE + 0x1_0000 + 0x100, 1 << 30);
    assert_eq!(m.run(Some(200_000)), RunExit::InsnLimit);
    assert_eq!(m.cpus[0].st.x[3], 1, "one timer interrupt, not a burst until the next turn");
    assert_eq!(m.cpus[0].stats.exceptions, 1);
    assert!(m.cpus[0].st.x[4] > 100_000 / 2, "the main loop ran: {}", m.cpus[0].st.x[4]);
}
