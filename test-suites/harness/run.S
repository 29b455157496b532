/* Enter a test sequence with the full guest state loaded, and save it again at the end.
 * void run_case(const struct state *in, struct state *out)
 * The code page starts with `mrs x30, tpidr_el0` (guest X30 travels in TPIDR_EL0) and ends
 * with a stub `msr tpidr_el0, x30; movz/movk x30, epilogue; br x30`. */
#include "harness.h"
    .text
    .global run_case
    .type run_case, %function
run_case:
    adrp x9, host_save
    add x9, x9, :lo12:host_save
    stp x19, x20, [x9, #0]
    stp x21, x22, [x9, #16]
    stp x23, x24, [x9, #32]
    stp x25, x26, [x9, #48]
    stp x27, x28, [x9, #64]
    stp x29, x30, [x9, #80]
    stp d8, d9, [x9, #96]
    stp d10, d11, [x9, #112]
    stp d12, d13, [x9, #128]
    stp d14, d15, [x9, #144]
    mov x10, sp
    str x10, [x9, #160]
    mrs x10, tpidr_el0
    str x10, [x9, #168]
    mrs x10, fpcr
    str x10, [x9, #176]
    adrp x10, g_out
    str x1, [x10, :lo12:g_out]
    mov x30, x0
    ldr x10, [x30, #(ST_X + 30*8)]
    msr tpidr_el0, x10
    ldr x10, [x30, #ST_SP]
    mov sp, x10
    ldr x10, [x30, #ST_NZCV]
    msr nzcv, x10
    ldr x10, [x30, #ST_FPCR]
    msr fpcr, x10
    ldr x10, [x30, #ST_FPSR]
    msr fpsr, x10
    ldp q0, q1, [x30, #(ST_V + 0*16)]
    ldp q2, q3, [x30, #(ST_V + 2*16)]
    ldp q4, q5, [x30, #(ST_V + 4*16)]
    ldp q6, q7, [x30, #(ST_V + 6*16)]
    ldp q8, q9, [x30, #(ST_V + 8*16)]
    ldp q10, q11, [x30, #(ST_V + 10*16)]
    ldp q12, q13, [x30, #(ST_V + 12*16)]
    ldp q14, q15, [x30, #(ST_V + 14*16)]
    ldp q16, q17, [x30, #(ST_V + 16*16)]
    ldp q18, q19, [x30, #(ST_V + 18*16)]
    ldp q20, q21, [x30, #(ST_V + 20*16)]
    ldp q22, q23, [x30, #(ST_V + 22*16)]
    ldp q24, q25, [x30, #(ST_V + 24*16)]
    ldp q26, q27, [x30, #(ST_V + 26*16)]
    ldp q28, q29, [x30, #(ST_V + 28*16)]
    ldp q30, q31, [x30, #(ST_V + 30*16)]
    ldp x0, x1, [x30, #0]
    ldp x2, x3, [x30, #16]
    ldp x4, x5, [x30, #32]
    ldp x6, x7, [x30, #48]
    ldp x8, x9, [x30, #64]
    ldp x10, x11, [x30, #80]
    ldp x12, x13, [x30, #96]
    ldp x14, x15, [x30, #112]
    ldp x16, x17, [x30, #128]
    ldp x18, x19, [x30, #144]
    ldp x20, x21, [x30, #160]
    ldp x22, x23, [x30, #176]
    ldp x24, x25, [x30, #192]
    ldp x26, x27, [x30, #208]
    ldp x28, x29, [x30, #224]
    mov x30, #CODE_BASE
    br x30

    .global epilogue
    .type epilogue, %function
epilogue:
    adrp x30, g_out
    ldr x30, [x30, :lo12:g_out]
    stp x0, x1, [x30, #0]
    stp x2, x3, [x30, #16]
    stp x4, x5, [x30, #32]
    stp x6, x7, [x30, #48]
    stp x8, x9, [x30, #64]
    stp x10, x11, [x30, #80]
    stp x12, x13, [x30, #96]
    stp x14, x15, [x30, #112]
    stp x16, x17, [x30, #128]
    stp x18, x19, [x30, #144]
    stp x20, x21, [x30, #160]
    stp x22, x23, [x30, #176]
    stp x24, x25, [x30, #192]
    stp x26, x27, [x30, #208]
    stp x28, x29, [x30, #224]
    mrs x0, tpidr_el0
    str x0, [x30, #(ST_X + 30*8)]
    mov x0, sp
    str x0, [x30, #ST_SP]
    mrs x0, nzcv
    str x0, [x30, #ST_NZCV]
    mrs x0, fpcr
    str x0, [x30, #ST_FPCR]
    mrs x0, fpsr
    str x0, [x30, #ST_FPSR]
    stp q0, q1, [x30, #(ST_V + 0*16)]
    stp q2, q3, [x30, #(ST_V + 2*16)]
    stp q4, q5, [x30, #(ST_V + 4*16)]
    stp q6, q7, [x30, #(ST_V + 6*16)]
    stp q8, q9, [x30, #(ST_V + 8*16)]
    stp q10, q11, [x30, #(ST_V + 10*16)]
    stp q12, q13, [x30, #(ST_V + 12*16)]
    stp q14, q15, [x30, #(ST_V + 14*16)]
    stp q16, q17, [x30, #(ST_V + 16*16)]
    stp q18, q19, [x30, #(ST_V + 18*16)]
    stp q20, q21, [x30, #(ST_V + 20*16)]
    stp q22, q23, [x30, #(ST_V + 22*16)]
    stp q24, q25, [x30, #(ST_V + 24*16)]
    stp q26, q27, [x30, #(ST_V + 26*16)]
    stp q28, q29, [x30, #(ST_V + 28*16)]
    stp q30, q31, [x30, #(ST_V + 30*16)]
    /* back to the host */
    adrp x9, host_save
    add x9, x9, :lo12:host_save
    ldr x10, [x9, #168]
    msr tpidr_el0, x10
    ldr x10, [x9, #176]
    msr fpcr, x10
    ldr x10, [x9, #160]
    mov sp, x10
    ldp x19, x20, [x9, #0]
    ldp x21, x22, [x9, #16]
    ldp x23, x24, [x9, #32]
    ldp x25, x26, [x9, #48]
    ldp x27, x28, [x9, #64]
    ldp x29, x30, [x9, #80]
    ldp d8, d9, [x9, #96]
    ldp d10, d11, [x9, #112]
    ldp d12, d13, [x9, #128]
    ldp d14, d15, [x9, #144]
    ret

    .bss
    .balign 16
    .global host_save
host_save:
    .skip 192
    .global g_out
g_out:
    .skip 8
    .section .note.GNU-stack,"",%progbits
