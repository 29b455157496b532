//! Semantics of the `ldst` group against QEMU user mode (`qemu-aarch64`) as the oracle.
//!
//! Every case is a short instruction sequence. One static program (built with
//! aarch64-linux-gnu-gcc -nostdlib) runs all cases under qemu-aarch64: for each case it
//! fills a 4 KiB buffer at a fixed address with a pattern, loads X0-X30, SP and V0-V31
//! from a table, runs the sequence and writes the registers and the buffer to stdout.
//! lsemu runs the same bytes (the program's .text loaded at the same address into a
//! `FlatRam`) from the same state, and everything is compared.
//!
//! With the MMU off data accesses are Device memory, so every access here is aligned.

use cpu_aarch64::platform::FlatRam;
use cpu_aarch64::{interp, Cpu, CpuConfig};
use std::process::Command;

const BUF: u64 = 0x48_0000;
const BUFSZ: usize = 4096;
const TEXT_BASE: u64 = 0x40_0000;

struct Case {
    name: String,
    code: String,
    /// Register overrides: 0..=30 = Xn, 31 = SP.
    set: Vec<(usize, u64)>,
}

const fn b(off: u64) -> u64 {
    BUF + off
}

fn pattern(i: usize) -> u8 {
    ((i.wrapping_mul(0x9d) + 0x31) as u8) ^ ((i >> 8) as u8)
}

fn init_x(i: usize) -> u64 {
    0x8123_4567_89ab_cdefu64.rotate_left(i as u32 * 5) ^ (i as u64 * 0x0101_0101)
}

fn init_v(i: usize) -> u128 {
    let a = 0xf0e1_d2c3_b4a5_9687u64.rotate_left(i as u32 * 3) as u128;
    let b = 0x1122_3344_5566_7788u64.rotate_right(i as u32 * 7) as u128;
    a | b << 64
}

fn state(c: &Case) -> ([u64; 31], u64, [u128; 32]) {
    let mut x = [0u64; 31];
    for (i, v) in x.iter_mut().enumerate() {
        *v = init_x(i);
    }
    let mut sp = b(0x800);
    for &(r, v) in &c.set {
        if r == 31 {
            sp = v;
        } else {
            x[r] = v;
        }
    }
    let mut v = [0u128; 32];
    for (i, r) in v.iter_mut().enumerate() {
        *r = init_v(i);
    }
    (x, sp, v)
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "gpr_uoff_loads".into(),
            code: "ldr x0, [x1]\nldr w2, [x1, #8]\nldrb w3, [x1, #3]\nldrh w4, [x1, #6]\nldrsb x5, [x1, #7]\nldrsb w6, [x1, #9]\nldrsh x7, [x1, #10]\nldrsh w8, [x1, #12]\nldrsw x9, [x1, #16]\nldr x10, [x1, #32760]\nldrb w11, [x1, #4095]\nldrsw x12, [x1, #-0]\nldrsb w13, [x1, #0x80]\nldrsh x14, [x1, #0x8a]".into(),
            set: vec![(1, b(0x100)), (10, 0)],
        },
        Case {
            name: "gpr_uoff_big_offset".into(),
            code: "ldr x0, [x1, #32760]\nldrh w2, [x2, #8190]\nldr w3, [x3, #16380]\nstr x4, [x5, #32752]".into(),
            set: vec![(1, b(0x800) - 32760), (2, b(0x810) - 8190), (3, b(0x820) - 16380), (5, b(0x830) - 32752)],
        },
        Case {
            name: "gpr_stores".into(),
            code: "str x2, [x1]\nstr w3, [x1, #12]\nstrb w4, [x1, #1]\nstrh w5, [x1, #18]\nstur x6, [x1, #-8]\nsturh w7, [x1, #-2]\nsturb w8, [x1, #-3]\nstur w9, [x1, #-12]\nstr xzr, [x1, #24]\nstrb wzr, [x1, #40]\nstrh wzr, [x1, #42]".into(),
            set: vec![(1, b(0x200))],
        },
        Case {
            name: "gpr_unscaled_loads".into(),
            code: "ldur x0, [x1, #-16]\nldursw x2, [x1, #-4]\nldurb w3, [x1, #-1]\nldursh w4, [x1, #-2]\nldursb x5, [x1, #-255]\nldurh w6, [x1, #254]\nldur w7, [x1, #-256]\nldursh x8, [x1, #2]\nldursb w9, [x1, #3]".into(),
            set: vec![(1, b(0x300))],
        },
        Case {
            name: "gpr_pre_post".into(),
            code: "ldr x0, [x1, #8]!\nldr x2, [x3], #-16\nstr w4, [x5, #-4]!\nstrb w6, [x7], #1\nldrsw x8, [x9, #4]!\nldrsh w10, [x11], #2\nldrb w12, [x13, #-1]!\nstrh w14, [x15], #-256\nldrsb x16, [x17], #255\nstr x18, [x19, #-256]!\nldr w20, [x21], #4\nldrsh x22, [x23, #-2]!".into(),
            set: vec![
                (1, b(0x100)), (3, b(0x140)), (5, b(0x180)), (7, b(0x1c1)), (9, b(0x200)), (11, b(0x240)),
                (13, b(0x281)), (15, b(0x2c0)), (17, b(0x300)), (19, b(0x400)), (21, b(0x500)), (23, b(0x540)),
            ],
        },
        Case {
            name: "gpr_register_offset".into(),
            code: "ldr x0, [x1, x2]\nldr x3, [x1, x4, lsl #3]\nldr w5, [x1, w6, uxtw #2]\nldrb w7, [x1, w8, sxtw]\nldrh w9, [x1, x10, sxtx #1]\nstr x11, [x1, w12, sxtw #3]\nstrb w13, [x1, x14, lsl #0]\nldrsw x15, [x1, w16, uxtw]\nldrsh x17, [x1, x18]\nldrsb w19, [x1, x20, sxtx]\nstrh w21, [x1, w22, uxtw #1]\nstr w23, [x1, x24, lsl #2]\nldrsw x25, [x1, w26, sxtw #2]\nldr x27, [x1, xzr]\nldrb w28, [x1, w29, uxtw #0]".into(),
            set: vec![
                (1, b(0x400)), (2, 8), (4, 3), (6, 0xdead_beef_0000_0005), (8, 0x1234_5678_ffff_fffd), (10, (-2i64) as u64),
                (12, 0x5555_5555_ffff_ffff), (14, 7), (16, 0xffff_ffff_0000_000c), (18, (-32i64) as u64), (20, (-5i64) as u64),
                (22, 0x7777_0000_0000_0011), (24, (-3i64) as u64), (26, 0x0000_0001_ffff_fff0), (29, 0xffff_ffff_0000_0033),
            ],
        },
        Case {
            name: "gpr_unprivileged".into(),
            code: "ldtr x0, [x1, #8]\nsttr w2, [x1, #-4]\nldtrsb x3, [x1, #1]\nldtrh w4, [x1, #2]\nsttrb w5, [x1, #255]\nldtrsw x6, [x1, #-256]\nldtrsh w7, [x1, #6]\nsttrh w8, [x1, #10]\nsttr x9, [x1, #16]\nldtrb w10, [x1, #255]\nldtr w11, [x1, #-4]\nldtrsb w12, [x1, #5]\nldtrsh x13, [x1, #12]".into(),
            set: vec![(1, b(0x600))],
        },
        Case {
            name: "sp_base".into(),
            code: "ldr x0, [sp, #16]\nstr x1, [sp, #-16]!\nldp x2, x3, [sp], #32\nstp x4, x5, [sp, #-32]!\nldrb w6, [sp, #7]\nstur w7, [sp, #-4]\nldr x8, [sp, x9]\nldpsw x10, x11, [sp, #8]".into(),
            set: vec![(31, b(0x800)), (9, 24)],
        },
        Case {
            name: "gpr_pairs".into(),
            code: "ldp x0, x1, [x2]\nldp w3, w4, [x2, #8]\nldpsw x5, x6, [x2, #-8]!\nstp x7, x8, [x9, #16]\nstp w10, w11, [x12], #-8\nldnp x13, x14, [x15, #64]\nstnp w16, w17, [x9, #-64]\nldp x18, x19, [x20, #-512]\nldpsw x21, x22, [x23], #252\nstp x24, x25, [x26, #504]!\nldp w27, w28, [x29], #-256\nstp xzr, xzr, [x9, #32]\nstnp x0, x1, [x9, #-512]".into(),
            set: vec![
                (2, b(0x100)), (9, b(0x300)), (12, b(0x380)), (15, b(0x200)), (20, b(0x600)), (23, b(0x700)),
                (26, b(0x800)), (29, b(0xa00)),
            ],
        },
        Case {
            name: "literal".into(),
            code: "ldr x0, 1f\nldr w1, 1f+8\nldrsw x2, 1f+12\nldrsw x3, 1f+4\nprfm pldl1keep, 1f\nldr q4, 2f\nldr d5, 2f+8\nldr s6, 2f+4\nldr w7, 1f\nb 3f\n.balign 16\n1: .quad 0x8123456789abcdef, 0x7edcba98f6543210\n2: .quad 0x0011223344556677, 0x8899aabbccddeeff\n3: nop".into(),
            set: vec![],
        },
        Case {
            name: "prefetch_never_faults".into(),
            code: "prfm pldl1keep, [x1]\nprfm pstl2strm, [x1, x2, lsl #3]\nprfum pldl3keep, [x1, #-1]\nprfm plil1keep, [x3, #4088]\nprfm #31, [x1]".into(),
            set: vec![(1, 0xdead_0000_0000), (2, 0x1234_5678), (3, 0xffff_ffff_ffff_f001)],
        },
        Case {
            name: "exclusives".into(),
            code: "ldxr x0, [x1]\nadd x0, x0, #1\nstxr w2, x0, [x1]\nldaxr w3, [x4]\nstlxr w5, w3, [x4]\nldxrb w6, [x7]\nstxrb w8, w6, [x7]\nldxrh w9, [x10]\nstlxrh w11, w9, [x10]\nstxr w12, x0, [x1]\nldaxrb w13, [x7]\nstlxrb w14, w13, [x7]\nldaxrh w15, [x10]\nstxrh w16, w15, [x10]\nldaxr x17, [x1]\nstlxr w18, x17, [x1]".into(),
            set: vec![(1, b(0x100)), (4, b(0x204)), (7, b(0x301)), (10, b(0x402))],
        },
        Case {
            name: "exclusive_pairs".into(),
            code: "ldxp x0, x1, [x2]\nstxp w3, x1, x0, [x2]\nldaxp w4, w5, [x6]\nstlxp w7, w5, w4, [x6]\nldxp w8, w9, [x6]\nstlxp w10, w9, w8, [x6]\nldaxp x11, x12, [x2]\nstxp w13, x12, x11, [x2]\nstxp w14, x12, x11, [x2]".into(),
            set: vec![(2, b(0x100)), (6, b(0x208))],
        },
        Case {
            name: "ordered".into(),
            code: "ldar x0, [x1]\nldarb w2, [x1]\nldarh w3, [x1]\nstlr x4, [x5]\nstlrb w6, [x7]\nstlrh w8, [x9]\nldar w10, [x11]\nstlr w12, [x13]\nldar x14, [sp]\nstlr x15, [sp]".into(),
            set: vec![(1, b(0x100)), (5, b(0x200)), (7, b(0x301)), (9, b(0x402)), (11, b(0x504)), (13, b(0x604)), (31, b(0x800))],
        },
        Case {
            name: "fp_single".into(),
            code: "ldr b0, [x1]\nldr h1, [x1, #2]\nldr s2, [x1, #4]\nldr d3, [x1, #8]\nldr q4, [x1, #16]\nstr q5, [x1, #32]\nstr d6, [x1, #48]\nstr s7, [x1, #56]\nstr h8, [x1, #60]\nstr b9, [x1, #63]\nldur q10, [x1, #-16]\nstur d11, [x1, #-24]\nldr q12, [x6, #16]!\nstr s13, [x2], #-4\nldr d14, [x3, x4, lsl #3]\nstr q15, [x3, w5, sxtw #4]\nldr b17, [x3, x4]\nstr h18, [x3, w5, sxtw #1]\nldur s19, [x1, #-4]\nldr h20, [x7], #2\nstr b21, [x7, #-1]!\nldur b22, [x1, #-1]\nstur h23, [x1, #-2]\nstur q24, [x1, #-48]\nldr s25, [x3, w5, sxtw #2]".into(),
            set: vec![(1, b(0x200)), (2, b(0x300)), (3, b(0x400)), (4, 5), (5, 0xffff_ffff_ffff_fffe), (6, b(0x500)), (7, b(0x600))],
        },
        Case {
            name: "fp_uoff_max".into(),
            code: "ldr q0, [x1, #65520]\nldr d1, [x2, #32760]\nstr s2, [x3, #16380]\nldr h3, [x4, #8190]\nstr b4, [x5, #4095]".into(),
            set: vec![(1, b(0x10) - 65520), (2, b(0x20) - 32760), (3, b(0x30) - 16380), (4, b(0x40) - 8190), (5, b(0x50) - 4095)],
        },
        Case {
            name: "fp_pairs".into(),
            code: "ldp q0, q1, [x1]\nldp d2, d3, [x1, #-16]!\nldp s4, s5, [x2], #8\nstp q6, q7, [x3, #32]\nstp d8, d9, [x3, #-64]!\nstnp s10, s11, [x4, #4]\nldnp q12, q13, [x4, #-32]\nstp q14, q15, [x5], #1008\nldp q16, q17, [x6, #-1024]\nldnp d18, d19, [x6, #-512]\nstnp q20, q21, [x6, #-256]\nldp s22, s23, [x2, #252]".into(),
            set: vec![(1, b(0x100)), (2, b(0x200)), (3, b(0x300)), (4, b(0x400)), (5, b(0x500)), (6, b(0xc00))],
        },
        Case {
            name: "ld_multiple".into(),
            code: "ld1 {v0.16b}, [x1]\nld1 {v1.8b, v2.8b}, [x1], #16\nld1 {v3.4s, v4.4s, v5.4s}, [x2]\nld1 {v6.2d, v7.2d, v8.2d, v9.2d}, [x2], x3\nld2 {v10.8h, v11.8h}, [x1]\nld3 {v12.4h, v13.4h, v14.4h}, [x1], #24\nld4 {v15.4s, v16.4s, v17.4s, v18.4s}, [x2]\nld4 {v30.2s, v31.2s, v0.2s, v1.2s}, [x4]\nld2 {v19.16b, v20.16b}, [x4], #32\nld3 {v21.2d, v22.2d, v23.2d}, [x4]\nld1 {v24.1d}, [x5], #8\nld1 {v25.4h, v26.4h, v27.4h, v28.4h}, [x5], x6\nld4 {v2.8b, v3.8b, v4.8b, v5.8b}, [x5]\nld2 {v29.2s, v30.2s}, [x5], #16".into(),
            set: vec![(1, b(0x100)), (2, b(0x200)), (3, 0x48), (4, b(0x400)), (5, b(0x500)), (6, (-8i64) as u64)],
        },
        Case {
            name: "st_multiple".into(),
            code: "st1 {v0.2d}, [x1]\nst2 {v1.4s, v2.4s}, [x1], #32\nst3 {v3.16b, v4.16b, v5.16b}, [x2]\nst4 {v6.8h, v7.8h, v8.8h, v9.8h}, [x2], x3\nst1 {v10.1d, v11.1d, v12.1d, v13.1d}, [x4]\nst1 {v14.8b, v15.8b}, [x4], #16\nst1 {v16.4s, v17.4s, v18.4s}, [x5]\nst2 {v19.4h, v20.4h}, [x5], #16\nst3 {v21.2s, v22.2s, v23.2s}, [x6]\nst4 {v31.16b, v0.16b, v1.16b, v2.16b}, [x6], #64\nst3 {v24.2d, v25.2d, v26.2d}, [x7], x8".into(),
            set: vec![(1, b(0x100)), (2, b(0x200)), (3, 0x100), (4, b(0x400)), (5, b(0x500)), (6, b(0x600)), (7, b(0x700)), (8, (-16i64) as u64)],
        },
        Case {
            name: "single_lane".into(),
            code: "ld1 {v0.b}[5], [x1]\nld1 {v1.h}[3], [x1], x11\nld2 {v2.s, v3.s}[1], [x1]\nld3 {v4.d, v5.d, v6.d}[1], [x2], x3\nld4 {v7.b, v8.b, v9.b, v10.b}[15], [x1], #4\nst1 {v11.d}[1], [x4]\nst2 {v12.h, v13.h}[7], [x4], #4\nst3 {v14.s, v15.s, v16.s}[2], [x5]\nst4 {v17.b, v18.b, v19.b, v20.b}[9], [x5], x6\nld1 {v21.s}[0], [x7], x12\nld2 {v22.d, v23.d}[0], [x7]\nld3 {v24.h, v25.h, v26.h}[4], [x7], #6\nld4 {v27.s, v28.s, v29.s, v30.s}[3], [x8]\nst1 {v31.b}[0], [x8], #1\nst2 {v0.d, v1.d}[1], [x9]\nst4 {v2.h, v3.h, v4.h, v5.h}[6], [x9], #8\nld4 {v30.d, v31.d, v0.d, v1.d}[1], [x10]".into(),
            set: vec![(1, b(0x100)), (2, b(0x200)), (3, 0x30), (4, b(0x400)), (5, b(0x500)), (6, 12), (7, b(0x600)), (8, b(0x700)), (9, b(0x800)), (10, b(0x900)), (11, 8), (12, 16)],
        },
        Case {
            name: "replicate".into(),
            code: "ld1r {v0.16b}, [x1]\nld1r {v1.4h}, [x1], x6\nld2r {v2.2s, v3.2s}, [x1]\nld3r {v4.2d, v5.2d, v6.2d}, [x2], x3\nld4r {v7.8b, v8.8b, v9.8b, v10.8b}, [x1], #4\nld4r {v11.1d, v12.1d, v13.1d, v14.1d}, [x2]\nld1r {v15.2d}, [x4], #8\nld2r {v16.8h, v17.8h}, [x4], #4\nld3r {v18.4s, v19.4s, v20.4s}, [x4], x5\nld1r {v21.1d}, [x4]\nld4r {v29.4s, v30.4s, v31.4s, v0.4s}, [x4], #16".into(),
            set: vec![(1, b(0x100)), (2, b(0x200)), (3, 0x28), (4, b(0x400)), (5, 0x44), (6, 8)],
        },
        Case {
            name: "simd_sp_base".into(),
            code: "ld1 {v0.16b}, [sp], #16\nst1 {v1.4s}, [sp]\nld1 {v2.s}[1], [sp], x7\nld1r {v3.8h}, [sp]\nldr q4, [sp, #-32]!\nstp d5, d6, [sp, #16]".into(),
            set: vec![(31, b(0x800)), (7, 16)],
        },
        Case {
            name: "zero_register".into(),
            code: "ldr xzr, [x1]\nldrsw xzr, [x1, #4]\nldp xzr, x2, [x1]\nldr w3, [x1, xzr, lsl #2]\nstr wzr, [x1, #8]\nsttr xzr, [x1, #16]\nstlr xzr, [x1]\nldxr xzr, [x1]\nstxr w4, xzr, [x1]\nldaxr x5, [x1]\nstxr wzr, x5, [x1]".into(),
            set: vec![(1, b(0x100))],
        },
    ]
}

fn tool(name: &str) -> Option<String> {
    let t = format!("aarch64-linux-gnu-{name}");
    Command::new(&t).arg("--version").output().ok().filter(|o| o.status.success()).map(|_| t)
}

fn program(cases: &[Case]) -> String {
    let mut s = String::new();
    s.push_str(&format!(".set BUF, {BUF:#x}\n.text\n.global _start\n_start:\n"));
    // mmap(BUF, 64K, RW, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0)
    s.push_str("ldr x0, =BUF\nmov x1, #0x10000\nmov x2, #3\nmov x3, #0x32\nmov x4, #-1\nmov x5, #0\nmov x8, #222\nsvc #0\n");
    for (n, c) in cases.iter().enumerate() {
        s.push_str("bl fill\n");
        s.push_str(&format!("adrp x30, init{n}\nadd x30, x30, :lo12:init{n}\n"));
        for i in (0..32).step_by(2) {
            s.push_str(&format!("ldp q{}, q{}, [x30, #{}]\n", i, i + 1, i * 16));
        }
        s.push_str("add x30, x30, #512\nldr x0, [x30, #248]\nmov sp, x0\n");
        for i in (0..30).step_by(2) {
            s.push_str(&format!("ldp x{}, x{}, [x30, #{}]\n", i, i + 1, i * 8));
        }
        s.push_str("ldr x30, [x30, #240]\n");
        s.push_str(&format!(".global case{n}_start\ncase{n}_start:\n{}\n.global case{n}_end\ncase{n}_end:\n", c.code));
        s.push_str("msr tpidr_el0, x30\nadrp x30, dumparea\nadd x30, x30, :lo12:dumparea\n");
        for i in (0..30).step_by(2) {
            s.push_str(&format!("stp x{}, x{}, [x30, #{}]\n", i, i + 1, i * 8));
        }
        s.push_str("mrs x0, tpidr_el0\nstr x0, [x30, #240]\nmov x0, sp\nstr x0, [x30, #248]\nadd x30, x30, #256\n");
        for i in (0..32).step_by(2) {
            s.push_str(&format!("stp q{}, q{}, [x30, #{}]\n", i, i + 1, i * 16));
        }
        s.push_str("bl emit\n");
    }
    s.push_str("mov x0, #0\nmov x8, #93\nsvc #0\n");
    s.push_str(
        "fill:\nldr x0, =BUF\nmov x1, #0\nmov x3, #0x9d\n1:\nmul x2, x1, x3\nadd x2, x2, #0x31\neor x2, x2, x1, lsr #8\nstrb w2, [x0, x1]\nadd x1, x1, #1\ncmp x1, #4096\nb.lt 1b\nret\n",
    );
    s.push_str("emit:\nmov x0, #1\nadrp x1, dumparea\nadd x1, x1, :lo12:dumparea\nmov x2, #768\nmov x8, #64\nsvc #0\nmov x0, #1\nldr x1, =BUF\nmov x2, #4096\nmov x8, #64\nsvc #0\nret\n.ltorg\n");
    s.push_str(".data\n.balign 16\ndumparea: .skip 768\n");
    for (n, c) in cases.iter().enumerate() {
        let (x, sp, v) = state(c);
        s.push_str(&format!(".balign 16\ninit{n}:\n"));
        for r in v {
            s.push_str(&format!(".quad {:#x}, {:#x}\n", r as u64, (r >> 64) as u64));
        }
        for r in x {
            s.push_str(&format!(".quad {r:#x}\n"));
        }
        s.push_str(&format!(".quad {sp:#x}\n"));
    }
    s
}

/// Turns the EL1&0 stage 1 MMU on with one level-1 block (4 KiB granule, T0SZ = 25)
/// mapping VA = PA 0..1 GiB as Normal write-back memory, readable, writable and executable
/// at EL0, so unaligned data accesses are allowed as in Linux user space; the top byte of
/// addresses is ignored (TCR_EL1.TBI0), as Linux sets it.
fn identity_map(cpu: &mut Cpu, ram: &mut FlatRam) {
    let pt = BUF + 0xf000;
    // block: bits 1:0 = 01, AttrIndx 0, AP = 01 (EL1/EL0 RW), SH = 11, AF
    let block: u64 = 0b01 | 0b01 << 6 | 0b11 << 8 | 1 << 10;
    ram.load(pt, &block.to_le_bytes());
    cpu.sys.mair[1] = 0xff;
    // TBI0 as Linux sets it for user space (tagged pointers).
    cpu.sys.tcr[1] = 25 | 0b01 << 8 | 0b01 << 10 | 0b11 << 12 | 1 << 23 | 0b010 << 32 | 1 << 37;
    cpu.sys.ttbr0[1] = pt;
    cpu.sys.sctlr[1] |= 1 | 1 << 2 | 1 << 12; // M, C, I
}

fn have_tools() -> bool {
    let ok = tool("gcc").is_some() && tool("nm").is_some() && tool("objcopy").is_some()
        && Command::new("qemu-aarch64").arg("--version").output().is_ok();
    if !ok {
        eprintln!("SKIP: aarch64-linux-gnu toolchain or qemu-aarch64 not installed");
    }
    ok
}

#[test]
fn ldst_matches_qemu_user() {
    if !have_tools() {
        return;
    }
    let cases = cases();
    let failures = run_cases("directed", &cases, false);
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// Runs `cases` under qemu-aarch64 and lsemu; returns one message per differing case.
fn run_cases(tag: &str, cases: &[Case], mmu: bool) -> Vec<String> {
    let (gcc, nm, objcopy) = (tool("gcc").unwrap(), tool("nm").unwrap(), tool("objcopy").unwrap());
    let dir = std::env::temp_dir().join(format!("lsemu-ldst-qemu-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("t.S"), program(cases)).unwrap();
    let out = Command::new(&gcc)
        .args(["-static", "-nostdlib", "-Wl,--build-id=none", "-Wl,-Ttext=0x400000", "-o"])
        .arg(dir.join("t"))
        .arg(dir.join("t.S"))
        .output()
        .unwrap();
    assert!(out.status.success(), "gcc: {}", String::from_utf8_lossy(&out.stderr));
    let syms = Command::new(&nm).arg(dir.join("t")).output().unwrap();
    let syms = String::from_utf8_lossy(&syms.stdout).to_string();
    let sym = |name: &str| -> u64 {
        let l = syms.lines().find(|l| l.ends_with(&format!(" {name}"))).unwrap_or_else(|| panic!("no symbol {name}"));
        u64::from_str_radix(l.split(' ').next().unwrap(), 16).unwrap()
    };
    let st = Command::new(&objcopy).args(["-O", "binary", "-j", ".text"]).arg(dir.join("t")).arg(dir.join("t.bin")).status().unwrap();
    assert!(st.success());
    let text = std::fs::read(dir.join("t.bin")).unwrap();
    let text_start = sym("_start");
    assert_eq!(text_start, TEXT_BASE);
    let q = Command::new("qemu-aarch64").arg("-cpu").arg("cortex-a72").arg(dir.join("t")).output().unwrap();
    let per = 768 + BUFSZ;
    assert!(
        q.status.success(),
        "qemu-aarch64 failed in case {}: {:?} {}",
        cases.get(q.stdout.len() / per).map_or("?".to_string(), |c| format!("{}\n{}", c.name, c.code)),
        q.status,
        String::from_utf8_lossy(&q.stderr)
    );
    assert_eq!(q.stdout.len(), per * cases.len(), "qemu output size");
    let mut failures = Vec::new();
    for (n, c) in cases.iter().enumerate() {
        let start = sym(&format!("case{n}_start"));
        let end = sym(&format!("case{n}_end"));
        let mut ram = FlatRam::new(TEXT_BASE, (BUF - TEXT_BASE) as usize + 0x10000);
        ram.load(TEXT_BASE, &text);
        let buf: Vec<u8> = (0..BUFSZ).map(pattern).collect();
        ram.load(BUF, &buf);
        let mut cpu = Cpu::new(CpuConfig::default());
        cpu.sys.cpacr_el1 |= 3 << 20; // FPEN: FP/AdvSIMD enabled at EL0, as Linux does
        if mmu {
            identity_map(&mut cpu, &mut ram);
        }
        cpu.st.pstate.el = 0;
        cpu.st.pstate.sp = 0;
        let (x, sp, v) = state(c);
        cpu.st.x = x;
        cpu.st.set_sp(sp);
        cpu.st.v = v;
        cpu.st.pc = start;
        let mut steps = 0;
        while cpu.st.pc != end && steps < 1000 {
            let _ = interp::step(&mut cpu, &mut ram);
            steps += 1;
            if cpu.stats.exceptions > 0 {
                break;
            }
        }
        if cpu.stats.exceptions > 0 || cpu.st.pc != end {
            failures.push(format!(
                "{}: exception or runaway: pc {:#x} (elr {:#x}), esr_el1 {:#x}, far {:#x}\n{}",
                c.name, cpu.st.pc, cpu.st.elr[1], cpu.sys.esr[1], cpu.sys.far[1], c.code
            ));
            continue;
        }
        let d = &q.stdout[n * per..(n + 1) * per];
        let qx = |i: usize| u64::from_le_bytes(d[i * 8..i * 8 + 8].try_into().unwrap());
        let mut diffs = Vec::new();
        for i in 0..31 {
            if qx(i) != cpu.st.x[i] {
                diffs.push(format!("x{i}: qemu {:#x} lsemu {:#x}", qx(i), cpu.st.x[i]));
            }
        }
        if qx(31) != cpu.st.sp() {
            diffs.push(format!("sp: qemu {:#x} lsemu {:#x}", qx(31), cpu.st.sp()));
        }
        for i in 0..32 {
            let o = 256 + i * 16;
            let qv = u128::from_le_bytes(d[o..o + 16].try_into().unwrap());
            if qv != cpu.st.v[i] {
                diffs.push(format!("v{i}: qemu {qv:#034x} lsemu {:#034x}", cpu.st.v[i]));
            }
        }
        let lbuf = &ram.mem[(BUF - TEXT_BASE) as usize..(BUF - TEXT_BASE) as usize + BUFSZ];
        for (i, (a, bb)) in d[768..].iter().zip(lbuf).enumerate() {
            if a != bb {
                diffs.push(format!("buf[{i:#x}]: qemu {a:#04x} lsemu {bb:#04x}"));
            }
        }
        if !diffs.is_empty() {
            failures.push(format!("{}:\n{}\n  {}", c.name, c.code, diffs[..diffs.len().min(12)].join("\n  ")));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    failures
}

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

/// Bases x1-x4 (and SP), index registers x7-x12, GPR load targets x13-x28 (never a base
/// or an index register, so no UNPREDICTABLE overlap and the bases stay in the buffer).
const INDEX_REGS: [(usize, u64); 6] = [
    (7, 3),
    (8, 0xdead_beef_ffff_fffe),
    (9, u64::MAX),
    (10, 32),
    (11, 0x1234_5678_0000_0010),
    (12, (-16i64) as u64),
];

fn gen_base(r: &mut Rng, allow_sp: bool) -> String {
    // x1-x4 are the general bases (unaligned in the MMU-on runs); SP stays 16-aligned.
    if allow_sp && r.below(5) == 0 {
        "sp".into()
    } else {
        format!("x{}", r.range(1, 4))
    }
}

/// A register-offset operand for an access of 2^`lg` bytes (offset stays aligned).
fn gen_regoff(r: &mut Rng, lg: u32) -> String {
    if r.below(2) == 0 {
        // shifted by the access size
        let s = lg;
        match r.below(4) {
            0 => format!("x7, lsl #{s}"),
            1 => format!("w8, sxtw #{s}"),
            2 => format!("x9, sxtx #{s}"),
            _ => format!("w11, uxtw #{s}"),
        }
    } else {
        match r.below(4) {
            0 => "x10".into(),
            1 => "w11, uxtw".into(),
            2 => "x12, sxtx".into(),
            _ => "w12, sxtw".into(),
        }
    }
}

/// A writeback amount: 16-byte multiples keep aligned bases aligned; `ua` allows any.
fn wb(r: &mut Rng, ua: bool, base: &str) -> i64 {
    if ua && base != "sp" {
        r.range(-40, 72)
    } else {
        r.range(-2, 4) * 16
    }
}

fn gen_gpr_single(r: &mut Rng, ua: bool) -> String {
    // (mnemonic stem, size log2, load target width: 'x' or 'w')
    let ops: [(&str, u32, char, bool); 13] = [
        ("ldr", 3, 'x', true), ("ldr", 2, 'w', true), ("str", 3, 'x', false), ("str", 2, 'w', false),
        ("ldrb", 0, 'w', true), ("strb", 0, 'w', false), ("ldrh", 1, 'w', true), ("strh", 1, 'w', false),
        ("ldrsb", 0, 'x', true), ("ldrsb", 0, 'w', true), ("ldrsh", 1, 'x', true), ("ldrsh", 1, 'w', true),
        ("ldrsw", 2, 'x', true),
    ];
    let &(op, lg, w, load) = r.pick(&ops);
    let rt = if load { r.range(13, 28) } else { r.range(0, 30) };
    let rt = format!("{w}{rt}");
    let sz = 1i64 << lg;
    match r.below(6) {
        0 => format!("{op} {rt}, [{}, #{}]", gen_base(r, true), r.range(0, 24) * sz),
        1 => {
            let u = op.replacen("ldr", "ldur", 1).replacen("str", "stur", 1);
            format!("{u} {rt}, [{}, #{}]", gen_base(r, true), r.range(-64 >> lg, 64 >> lg) * sz)
        }
        2 => {
            let bs = gen_base(r, true);
            format!("{op} {rt}, [{bs}, #{}]!", wb(r, ua, &bs))
        }
        3 => {
            let bs = gen_base(r, true);
            format!("{op} {rt}, [{bs}], #{}", wb(r, ua, &bs))
        }
        4 => format!("{op} {rt}, [{}, {}]", gen_base(r, true), gen_regoff(r, lg)),
        _ => {
            let t = op.replacen("ldr", "ldtr", 1).replacen("str", "sttr", 1);
            format!("{t} {rt}, [{}, #{}]", gen_base(r, true), r.range(-64 >> lg, 64 >> lg) * sz)
        }
    }
}

fn gen_pair(r: &mut Rng, ua: bool) -> String {
    let kinds: [(&str, &str, u32, bool); 10] = [
        ("ldp", "x", 3, true), ("ldp", "w", 2, true), ("stp", "x", 3, false), ("stp", "w", 2, false),
        ("ldpsw", "x", 2, true), ("ldp", "q", 4, true), ("stp", "d", 3, false), ("ldp", "s", 2, true),
        ("stp", "q", 4, false), ("ldp", "d", 3, true),
    ];
    let &(op, reg, lg, load) = r.pick(&kinds);
    let (a, b) = if reg == "x" || reg == "w" {
        let lo = if load { 13 } else { 0 };
        let a = r.range(lo, 28);
        let mut b = r.range(lo, 28);
        if b == a {
            b = if a == 28 { lo } else { a + 1 };
        }
        (a, b)
    } else {
        let a = r.range(0, 31);
        (a, (a + 1 + r.range(0, 30)) % 32)
    };
    let sz = 1i64 << lg;
    let (ra, rb) = (format!("{reg}{a}"), format!("{reg}{b}"));
    let k = r.range(-4, 8) * sz;
    let bs = gen_base(r, true);
    // writeback keeps aligned bases 16-byte aligned (imm7 is scaled by the element size)
    let kw = if ua && bs != "sp" { r.range(-4, 8) * sz } else { r.range(-2, 4) * 16 };
    match r.below(4) {
        0 => format!("{op} {ra}, {rb}, [{bs}, #{k}]"),
        1 => format!("{op} {ra}, {rb}, [{bs}, #{kw}]!"),
        2 => format!("{op} {ra}, {rb}, [{bs}], #{kw}"),
        _ if op != "ldpsw" => format!("{}np {ra}, {rb}, [{}, #{k}]", &op[..2], gen_base(r, true)),
        _ => format!("{op} {ra}, {rb}, [{}, #{k}]", gen_base(r, true)),
    }
}

fn gen_fp_single(r: &mut Rng, ua: bool) -> String {
    let lg = r.below(5) as u32;
    let reg = ["b", "h", "s", "d", "q"][lg as usize];
    let op = if r.below(2) == 0 { "ldr" } else { "str" };
    let t = format!("{reg}{}", r.range(0, 31));
    let sz = 1i64 << lg;
    match r.below(5) {
        0 => format!("{op} {t}, [{}, #{}]", gen_base(r, true), r.range(0, 16) * sz),
        1 => format!("{}ur {t}, [{}, #{}]", &op[..2], gen_base(r, true), r.range(-128 >> lg, 127 >> lg) * sz),
        2 => {
            let bs = gen_base(r, true);
            format!("{op} {t}, [{bs}, #{}]!", wb(r, ua, &bs))
        }
        3 => {
            let bs = gen_base(r, true);
            format!("{op} {t}, [{bs}], #{}", wb(r, ua, &bs))
        }
        _ => format!("{op} {t}, [{}, {}]", gen_base(r, true), gen_regoff(r, lg)),
    }
}

fn reglist(first: i64, n: i64, arr: &str) -> String {
    let v: Vec<String> = (0..n).map(|i| format!("v{}.{arr}", (first + i) % 32)).collect();
    format!("{{{}}}", v.join(", "))
}

fn gen_struct(r: &mut Rng, ua: bool) -> String {
    let ld = r.below(2) == 0;
    let first = r.range(0, 31);
    let base = gen_base(r, true);
    match r.below(3) {
        0 => {
            // multiple structures
            let arrs = ["8b", "16b", "4h", "8h", "2s", "4s", "1d", "2d"];
            let arr = *r.pick(&arrs);
            let sel = if arr == "1d" { 1 } else { r.range(1, 4) };
            let n = if sel == 1 { r.range(1, 4) } else { sel };
            let op = format!("{}{}", if ld { "ld" } else { "st" }, sel);
            let bytes = n * if arr.ends_with("16b") || arr.ends_with("8h") || arr.ends_with("4s") || arr.ends_with("2d") { 16 } else { 8 };
            let list = reglist(first, n, arr);
            match r.below(3) {
                0 => format!("{op} {list}, [{base}]"),
                1 if bytes % 16 == 0 || (ua && base != "sp") => format!("{op} {list}, [{base}], #{bytes}"),
                _ if base != "sp" => format!("{op} {list}, [{base}], {}", r.pick(&["x10", "x12"])),
                _ => format!("{op} {list}, [{base}]"),
            }
        }
        1 => {
            // single structure, one lane
            let sel = r.range(1, 4);
            let (e, lanes, lg) = *r.pick(&[("b", 16, 0), ("h", 8, 1), ("s", 4, 2), ("d", 2, 3)]);
            let idx = r.below(lanes);
            let op = format!("{}{}", if ld { "ld" } else { "st" }, sel);
            let list = reglist(first, sel, e);
            let bytes = sel << lg;
            match r.below(3) {
                0 => format!("{op} {list}[{idx}], [{base}]"),
                1 if bytes % 16 == 0 || (ua && base != "sp") => format!("{op} {list}[{idx}], [{base}], #{bytes}"),
                _ if base != "sp" => format!("{op} {list}[{idx}], [{base}], {}", r.pick(&["x10", "x12"])),
                _ => format!("{op} {list}[{idx}], [{base}]"),
            }
        }
        _ => {
            // load and replicate
            let sel = r.range(1, 4);
            let arr = *r.pick(&["8b", "16b", "4h", "8h", "2s", "4s", "1d", "2d"]);
            let list = reglist(first, sel, arr);
            let op = format!("ld{sel}r");
            match r.below(2) {
                0 => format!("{op} {list}, [{base}]"),
                _ if base != "sp" => format!("{op} {list}, [{base}], {}", r.pick(&["x10", "x12"])),
                _ => format!("{op} {list}, [{base}]"),
            }
        }
    }
}

fn gen_excl(r: &mut Rng) -> String {
    let (l, s, w, a) = *r.pick(&[
        ("ldxr", "stxr", "x", 3), ("ldaxr", "stlxr", "w", 2), ("ldxrb", "stxrb", "w", 0), ("ldaxrh", "stlxrh", "w", 1),
        ("ldar", "stlr", "x", 3), ("ldarb", "stlrb", "w", 0),
    ]);
    let _ = a;
    // exclusives and ordered accesses must be aligned: x5/x6 (never written back) or SP
    let base = match r.below(3) {
        0 => "sp".to_string(),
        1 => "x5".to_string(),
        _ => "x6".to_string(),
    };
    let t = r.range(13, 20);
    if l.starts_with("ldar") {
        return format!("{l} {w}{t}, [{base}]\n{s} {w}{}, [{base}]", r.range(0, 30));
    }
    let st = r.range(21, 28);
    let v = r.range(0, 30);
    format!("{l} {w}{t}, [{base}]\n{s} w{st}, {w}{v}, [{base}]")
}

/// Random sequences of load/store forms with aligned addresses in the buffer.
fn random_cases(seed: u64, n: usize, ua: bool) -> Vec<Case> {
    let mut r = Rng(seed);
    (0..n)
        .map(|i| {
            let mut lines = Vec::new();
            for _ in 0..6 {
                lines.push(match r.below(6) {
                    0 => gen_gpr_single(&mut r, ua),
                    1 => gen_pair(&mut r, ua),
                    2 => gen_fp_single(&mut r, ua),
                    3 | 4 => gen_struct(&mut r, ua),
                    _ => gen_excl(&mut r),
                });
            }
            let mut set: Vec<(usize, u64)> = INDEX_REGS.to_vec();
            for j in 1..=4u64 {
                let mis = if ua { r.below(16) } else { 0 };
                set.push((j as usize, b(0x180 + 0x300 * (j - 1) + mis)));
            }
            set.push((5, b(0x100)));
            set.push((6, b(0xd00)));
            set.push((31, b(0xe00)));
            Case { name: format!("random{i}"), code: lines.join("\n"), set }
        })
        .collect()
}

#[test]
fn ldst_random_matches_qemu_user() {
    if !have_tools() {
        return;
    }
    let n = std::env::var("LSEMU_LDST_RANDOM").ok().and_then(|v| v.parse().ok()).unwrap_or(150);
    let cases = random_cases(0x1234_5678_9abc_def1, n, false);
    // Batches keep the program's text below the buffer at BUF.
    let failures: Vec<String> = cases.chunks(200).flat_map(|c| run_cases("random", c, false)).collect();
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures[..failures.len().min(6)].join("\n"));
}

/// The same with the MMU on (identity map, Normal memory): bases and writeback amounts are
/// unaligned, so single, pair and structure accesses cross alignment (and, near the buffer
/// edges, nothing else: the buffer is one page).
#[test]
fn ldst_random_unaligned_mmu_on_matches_qemu_user() {
    if !have_tools() {
        return;
    }
    let n = std::env::var("LSEMU_LDST_RANDOM").ok().and_then(|v| v.parse().ok()).unwrap_or(150);
    let cases = random_cases(0x0bad_cafe_1234_5679, n, true);
    let failures: Vec<String> = cases.chunks(200).flat_map(|c| run_cases("random-ua", c, true)).collect();
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures[..failures.len().min(6)].join("\n"));
}

/// Unaligned and page-crossing accesses with the MMU on (Normal memory).
#[test]
fn ldst_unaligned_page_crossing_matches_qemu_user() {
    if !have_tools() {
        return;
    }
    let cases = vec![
        Case {
            name: "page_crossing".into(),
            code: "ldr x0, [x1]\nldp q0, q1, [x2]\nld4 {v4.16b, v5.16b, v6.16b, v7.16b}, [x3]\nstr x4, [x5]\nldr x6, [x5]\nstp x7, x8, [x5, #-8]\nldp x9, x10, [x5, #-8]\nldrsh x11, [x12]\nstr q8, [x13]\nldr q9, [x13]\nst1 {v10.2d, v11.2d}, [x14]\nld1 {v12.2d, v13.2d}, [x14]\nldur w15, [x12, #-3]\nldr d14, [x12, x16]".into(),
            set: vec![(1, b(0xffc)), (2, b(0xfe3)), (3, b(0xfd1)), (5, b(0xffd)), (12, b(0xfff)), (13, b(0xff9)), (14, b(0xfeb)), (16, (-2i64) as u64)],
        },
        Case {
            name: "unaligned_all_forms".into(),
            code: "ldr x0, [x1, #8]\nldrh w2, [x1, #2]\nldrsw x3, [x1], #4\nstr w4, [x1, #1]!\nldp w5, w6, [x7]\nldpsw x8, x9, [x7, #4]!\nstp x10, x11, [x12], #-16\nldr q0, [x13, #16]\nstr d1, [x13, #-7]!\nldur s2, [x14, #-1]\nld1 {v3.4s}, [x14], #16\nld2 {v4.8h, v5.8h}, [x15]\nst3 {v6.4s, v7.4s, v8.4s}, [x16], x17\nld1 {v9.d}[1], [x18]\nld4r {v10.4s, v11.4s, v12.4s, v13.4s}, [x19]\nldtr x20, [x21, #3]\nsttrh w22, [x21, #-5]\nldnp q14, q15, [x23, #32]".into(),
            set: vec![
                (1, b(0x101)), (7, b(0x203)), (12, b(0x305)), (13, b(0x407)), (14, b(0x509)), (15, b(0x60b)),
                (16, b(0x70d)), (17, 3), (18, b(0x80f)), (19, b(0x911)), (21, b(0xa13)), (23, b(0xb15)),
            ],
        },
        Case {
            name: "tagged_pointers".into(),
            code: "ldr x0, [x1]\nstr x2, [x1, #8]\nldp x3, x4, [x5], #16\nld1 {v0.16b}, [x6], #16\nldxr x7, [x8]\nstxr w9, x7, [x8]\nldr w10, [x11, x12]\nstr q1, [x13, #-16]!".into(),
            set: vec![
                (1, 0x5a00_0000_0000_0000 | b(0x100)), (5, 0xff00_0000_0000_0000 | b(0x201)), (6, 0x0100_0000_0000_0000 | b(0x333)),
                (8, 0x8000_0000_0000_0000 | b(0x400)), (11, b(0x500)), (12, 0x7f00_0000_0000_0004),
                (13, 0x1200_0000_0000_0000 | b(0x610)),
            ],
        },
    ];
    let failures = run_cases("unaligned", &cases, true);
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
