// Minimal KVM guest (EL1, MMU off), loaded at GPA 0x40000000 by vmm.c.
// Everything it does is visible to the VMM as a KVM_RUN exit (tools/tests/kvm.rs checks the
// exact sequence):
//   1. MMIO writes of 8, 4, 2 and 1 bytes to unbacked IPAs (0x10000000..),
//   2. MMIO reads answered by the VMM, echoed back by MMIO writes: a 32-bit LDR (zero
//      extended into X) and an LDRSH (Linux 6.1 KVM returns it masked to 16 bits),
//   3. an SPI pulsed by the VMM (KVM_IRQ_LINE) and the virtual timer (PPI 27, HW-mapped by
//      KVM) taken through the vGIC: ICC_IAR1_EL1 reads (ICV_IAR1_EL1 at EL1 with
//      HCR_EL2.IMO = 1), the INTID reported by an MMIO write, ICC_EOIR1_EL1,
//   4. PSCI SYSTEM_OFF by HVC: KVM_EXIT_SYSTEM_EVENT (SHUTDOWN).
// MMIO map (offsets from 0x10000000): 0x00/0x10/0x18/0x1a writes, 0x20/0x30 reads,
// 0x28/0x38 echoes, 0x40 command (1 = pulse SPI 40), 0x48 INTID taken, 0x50 interrupt
// count before SYSTEM_OFF, 0xff0 unexpected exception (ESR_EL1).
    .equ GICD, 0x08000000
    .equ GICR_SGI, 0x080B0000
    .equ MMIO, 0x10000000
    .text
    .global _start
_start:
    adr x0, vectors
    msr vbar_el1, x0
    isb
    mov x20, #0              // interrupts taken
    ldr x21, =MMIO
    ldr x22, =GICD
    ldr x23, =GICR_SGI
    // 1. MMIO writes.
    ldr x0, =0x1122334455667788
    str x0, [x21]
    ldr w0, =0xcafef00d
    str w0, [x21, #0x10]
    mov w0, #0xbeef
    strh w0, [x21, #0x1a]
    mov w0, #0xa5
    strb w0, [x21, #0x18]
    // 2. MMIO reads, echoed.
    ldr x1, =0xffffffffffffffff  // the load must overwrite all of X1
    ldr w1, [x21, #0x20]
    str x1, [x21, #0x28]
    mov x2, #0
    ldrsh x2, [x21, #0x30]
    str x2, [x21, #0x38]
    // 3. Interrupts. CPU interface (virtual): SRE, PMR, Group 1 enable.
    mrs x0, S3_0_C12_C12_5   // ICC_SRE_EL1
    orr x0, x0, #1
    msr S3_0_C12_C12_5, x0
    isb
    mov x0, #0xff
    msr S3_0_C4_C6_0, x0     // ICC_PMR_EL1
    mov x0, #1
    msr S3_0_C12_C12_7, x0   // ICC_IGRPEN1_EL1
    isb
    // Distributor: ARE | EnableGrp1 (DS = 1 view).
    mov w0, #0x12
    str w0, [x22]
1:  ldr w0, [x22]
    tbnz w0, #31, 1b
    // SPI 40: Group 1, edge, routed to Aff 0, enabled.
    mov w0, #(1 << 8)
    str w0, [x22, #0x84]     // GICD_IGROUPR1
    mov w0, #(2 << 16)
    str w0, [x22, #0xc08]    // GICD_ICFGR2
    mov x0, #0
    mov x1, #(0x6000 + 8 * 40)
    str x0, [x22, x1]        // GICD_IROUTER40
    mov w0, #(1 << 8)
    str w0, [x22, #0x104]    // GICD_ISENABLER1
    // PPI 27 (virtual timer): Group 1, enabled.
    mov w0, #(1 << 27)
    str w0, [x23, #0x80]     // GICR_IGROUPR0
    str w0, [x23, #0x100]    // GICR_ISENABLER0
    msr daifclr, #2
    // 3a. The VMM pulses SPI 40.
    mov x0, #1
    str x0, [x21, #0x40]
2:  cmp x20, #1
    b.ne 2b
    // 3b. The virtual timer fires (1000 ticks = 40 us at 25 MHz).
    mrs x0, cntvct_el0
    add x0, x0, #1000
    msr cntv_cval_el0, x0
    mov x0, #1
    msr cntv_ctl_el0, x0
    isb
3:  wfi
    cmp x20, #2
    b.ne 3b
    str x20, [x21, #0x50]
    // 4. PSCI SYSTEM_OFF (SMCCC function ID 0x84000008) through the hypervisor.
    ldr x0, =0x84000008
    hvc #0
    // Not reached: KVM does not resume a vCPU after SYSTEM_OFF.
    mov x0, #0xbad
    str x0, [x21, #0xff0]
5:  b 5b

irq:
    mrs x0, S3_0_C12_C12_0   // ICC_IAR1_EL1 (ICV_IAR1_EL1)
    str x0, [x21, #0x48]
    cmp x0, #27
    b.ne 6f
    msr cntv_ctl_el0, xzr    // stop the timer before EOI (level interrupt)
    isb
6:  msr S3_0_C12_C12_1, x0   // ICC_EOIR1_EL1 (ICV_EOIR1_EL1)
    add x20, x20, #1
    eret
bad:
    mrs x0, esr_el1
    str x0, [x21, #0xff0]
    b bad

    .balign 2048
vectors:
    .rept 4                  // current EL, SP_EL0
    b bad
    .balign 128
    .endr
    b bad                    // current EL, SP_ELx: sync
    .balign 128
    b irq                    // IRQ
    .balign 128
    b bad
    .balign 128
    b bad
    .balign 128
    .rept 8
    b bad
    .balign 128
    .endr
    .ltorg
