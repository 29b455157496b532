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
