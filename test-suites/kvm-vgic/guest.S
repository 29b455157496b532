// Minimal KVM guest (EL1, MMU off), loaded at GPA 0x40000000.
// MMIO "hypercalls" to 0x10000000: +0 command (1 = pulse SPI 40, 0xdead = done),
// +8 report (interrupt number taken).
    .equ GICD, 0x08000000
    .equ GICR_SGI, 0x080B0000
    .equ MMIO, 0x10000000
    .text
    .global _start
_start:
    adr x0, vectors
    msr vbar_el1, x0
    mov x20, #0              // interrupt count
    ldr x21, =MMIO
    ldr x22, =GICD
    ldr x23, =GICR_SGI
    // CPU interface (virtual): SRE, PMR, Group 1 enable.
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
    str w0, [x22, #0x84]     // IGROUPR1
    mov w0, #(2 << 16)
    str w0, [x22, #0xc08]    // ICFGR2
    mov x0, #0
    mov x1, #(0x6000 + 8 * 40)
    str x0, [x22, x1]        // IROUTER40
    mov w0, #(1 << 8)
    str w0, [x22, #0x104]    // ISENABLER1
    // PPI 27 (virtual timer): Group 1, enabled.
    mov w0, #(1 << 27)
    str w0, [x23, #0x80]     // GICR_IGROUPR0
    str w0, [x23, #0x100]    // GICR_ISENABLER0
    msr daifclr, #2
    // 1) The VMM pulses SPI 40.
    mov x0, #1
    str x0, [x21]
2:  cmp x20, #1
    b.ne 2b
    // 2) The virtual timer fires (HW-mapped interrupt in KVM).
    mrs x0, cntvct_el0
    add x0, x0, #1000
    msr cntv_cval_el0, x0
    mov x0, #1
    msr cntv_ctl_el0, x0
    isb
3:  wfi
    cmp x20, #2
    b.ne 3b
    // 3) Pulse SPI 40 again (the vtimer LR has been deactivated).
    mov x0, #1
    str x0, [x21]
4:  cmp x20, #3
    b.ne 4b
    ldr x0, =0xdead
    str x0, [x21]
5:  b 5b

irq:
    mrs x0, S3_0_C12_C12_0   // ICC_IAR1_EL1 (ICV)
    str x0, [x21, #8]
    cmp x0, #27
    b.ne 6f
    msr cntv_ctl_el0, xzr    // stop the timer before EOI
    isb
6:  msr S3_0_C12_C12_1, x0   // ICC_EOIR1_EL1 (ICV)
    add x20, x20, #1
    eret
bad:
    mrs x0, esr_el1
    str x0, [x21, #16]
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
