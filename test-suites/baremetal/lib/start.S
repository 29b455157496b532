// Entry of every bare-metal test program: the PE arrives at EL3 (reset state) with the
// MMU off. Set up the stack, clear .bss, call main(), exit with its return value.
    .section .text.boot, "ax"
    .global _start
_start:
    ldr     x0, =__stack_top
    mov     sp, x0
    ldr     x0, =__bss_start
    ldr     x1, =__bss_end
1:  cmp     x0, x1
    b.hs    2f
    str     xzr, [x0], #8
    b       1b
2:  bl      main
    bl      sh_exit
3:  b       3b
