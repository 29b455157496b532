//! A short AdvSIMD integer program run through the interpreter's fetch/decode/execute loop
//! on `FlatRam`. Expected values are worked out by hand from the Arm ARM pseudo-code; the
//! instruction words come from the GNU assembler (`aarch64-linux-gnu-as`), written here.

use cpu_aarch64::interp;
use cpu_aarch64::platform::FlatRam;
use cpu_aarch64::{Cpu, CpuConfig};

#[test]
fn small_program_through_the_run_loop() {
    // movi v0.16b, #0x1        ; v0 = 0x01 in every byte
    // add  v1.16b, v0.16b, v0.16b   ; 0x02 in every byte
    // dup  v2.4s, w5            ; w5 = 0x80000000
    // sqadd v3.4s, v2.4s, v2.4s ; saturates to 0x80000000, sets FPSR.QC
    // ext  v4.16b, v1.16b, v2.16b, #12 ; bytes 12..15 of v1 then 0..11 of v2
    // umov x6, v4.d[1]          ; 0x8000_0000_8000_0000
    // umaxv b7, v1.8b           ; 2
    // zip1 v8.8b, v0.8b, v1.8b  ; 0x0201020102010201
    let words: [u32; 8] = [0x4f00e420, 0x4e208401, 0x4e040ca2, 0x4ea20c43, 0x6e026024, 0x4e183c86, 0x2e30a827, 0x0e013808];
    let mut plat = FlatRam::new(0, 0x1000);
    for (i, w) in words.iter().enumerate() {
        plat.load(0x100 + 4 * i as u64, &w.to_le_bytes());
    }
    let mut cpu = Cpu::new(CpuConfig::default());
    cpu.reset(0x100);
    cpu.st.x[5] = 0x8000_0000;
    let _ = interp::run(&mut cpu, &mut plat, words.len() as u64);
    assert_eq!(cpu.st.pc, 0x100 + 4 * words.len() as u64);
    assert_eq!(cpu.st.v[0], 0x0101_0101_0101_0101_0101_0101_0101_0101);
    assert_eq!(cpu.st.v[1], 0x0202_0202_0202_0202_0202_0202_0202_0202);
    assert_eq!(cpu.st.v[2], 0x8000_0000_8000_0000_8000_0000_8000_0000);
    assert_eq!(cpu.st.v[3], 0x8000_0000_8000_0000_8000_0000_8000_0000);
    assert_ne!(cpu.st.fpsr & (1 << 27), 0, "QC set by SQADD saturation");
    assert_eq!(cpu.st.v[4], 0x8000_0000_8000_0000_8000_0000_0202_0202);
    assert_eq!(cpu.st.x[6], 0x8000_0000_8000_0000);
    assert_eq!(cpu.st.v[7], 2);
    assert_eq!(cpu.st.v[8], 0x0201_0201_0201_0201);
}

/// Every word of the group executes without panicking the host (guest-controlled values
/// never overflow host arithmetic), from random register states.
#[test]
fn random_words_never_panic() {
    use cpu_aarch64::decode::{decode, Insn, ENCODINGS};
    let mut x = 0x0123_4567_89ab_cdefu64;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut plat = FlatRam::new(0, 0x1000);
    let mut cpu = Cpu::new(CpuConfig::default());
    let mut n = 0;
    for e in ENCODINGS.iter().filter(|e| e.group == "simd") {
        for _ in 0..400 {
            let w = e.bits | (rnd() as u32 & !e.mask);
            let insn = decode(w);
            if !matches!(insn, Insn::Simd(_)) {
                continue;
            }
            for r in cpu.st.v.iter_mut() {
                *r = (rnd() as u128) << 64 | rnd() as u128;
            }
            for r in cpu.st.x.iter_mut() {
                *r = rnd();
            }
            let res = interp::exec(&mut cpu, &mut plat, &insn, w);
            assert!(res.is_ok(), "{w:08x} {}: {res:?}", insn.name());
            n += 1;
        }
    }
    assert!(n > 50_000);
}
