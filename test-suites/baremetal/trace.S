// Trace and statistics subject (tools/tests/trace.rs). LSEMU-ONLY: it writes to the
// LS2088A console UART (DUART1 UART0, a 16550 at 0x21c0500), which qemu -M virt lacks.
//
// What it does, for the tests' hand-worked expectations:
//  - writes "ok\n" to the UART: per byte one LSR read (offset 5; THRE, bit 5, is set
//    when the transmitter can take a byte) then one THR write (offset 0);
//  - takes exactly four synchronous exceptions:
//      svc #0x11 at EL3 -> EL3, EC 0x15 SVC64: ESR = 0x15<<26 | IL | 0x11 = 0x56000011,
//                          ELR = the next instruction, vector VBAR_EL3 + 0x200;
//      brk #0x22 at EL3 -> EL3, EC 0x3c BRK64: ESR = 0xf2000022, ELR = the BRK;
//      udf #0 at EL3    -> EL3, EC 0x00 UNKNOWN: ESR = 0x02000000, ELR = the UDF;
//      smc #0 at EL1    -> EL3, EC 0x17 SMC64: ESR = 0x5e000000, ELR = the next
//                          instruction, vector VBAR_EL3 + 0x400 (lower EL, AArch64);
//  - and five exception returns: three back to EL3 after the EL3 exceptions, one from
//    EL3 to EL1 (SPSR 0x3c5, EL1h, DAIF masked) and one from the SMC handler back to
//    EL3 (SPSR 0x3cd).
//  - EL1 executes exactly two instructions (mov x0, #1; smc #0); nothing runs at EL0 or EL2.
    .text
    .global main
main:
    mov     x20, x30
    adr     x0, vectors
    msr     vbar_el3, x0
    isb
    // UART: "ok\n"
    mov     x1, #0x0500
    movk    x1, #0x021c, lsl #16
    mov     w2, #'o'
    bl      putc
    mov     w2, #'k'
    bl      putc
    mov     w2, #'\n'
    bl      putc
    // Three exceptions at EL3.
    svc     #0x11
    brk     #0x22
    udf     #0
    // To EL1 and back through SMC: SCR_EL3 = NS | RES1 (bits 5:4) | HCE | RW; HCR_EL2.RW.
    mov     x0, #0x531
    msr     scr_el3, x0
    mov     x0, #(1 << 31)
    msr     hcr_el2, x0
    adr     x0, el1_code
    msr     elr_el3, x0
    mov     x0, #0x3c5
    msr     spsr_el3, x0
    adr     x0, back_at_el3
    mov     x19, x0
    eret
el1_code:
    mov     x0, #1
    smc     #0
back_at_el3:
    mov     x30, x20
    mov     w0, #0
    ret

// Writes w2 to the UART at x1 once the transmit holding register is empty.
putc:
1:  ldrb    w3, [x1, #5]
    tbz     w3, #5, 1b
    strb    w2, [x1]
    ret

// Current EL with SP_ELx, synchronous (+0x200): skip the faulting instruction unless
// it is an SVC (whose ELR is already the next instruction).
// Lower EL, AArch64, synchronous (+0x400): the SMC from EL1; resume at EL3 at x19.
    .balign 0x800
vectors:
    .space 0x200
    mrs     x9, esr_el3
    lsr     x9, x9, #26
    cmp     x9, #0x15
    b.eq    1f
    mrs     x9, elr_el3
    add     x9, x9, #4
    msr     elr_el3, x9
1:  eret
    .balign 0x80
    .space 0x180
    msr     elr_el3, x19
    mov     x9, #0x3cd
    msr     spsr_el3, x9
    eret
