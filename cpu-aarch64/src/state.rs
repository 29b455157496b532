//! Architectural register state of one AArch64 PE: what both engines read and write.
//! `#[repr(C)]` so the JIT can address fields by offset (`OFF_*`).

/// PSTATE, kept as separate fields (the form SPSR uses is built by `spsr()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct Pstate {
    /// N, Z, C, V in bits 31..28 (the NZCV register layout).
    pub nzcv: u32,
    /// D, A, I, F in bits 9..6 (the DAIF register layout).
    pub daif: u32,
    /// Current exception level, 0..=3.
    pub el: u8,
    /// SPSel: 0 = SP_EL0, 1 = SP_ELx.
    pub sp: u8,
    /// Software step.
    pub ss: bool,
    /// Illegal execution state.
    pub il: bool,
}

pub const N: u32 = 1 << 31;
pub const Z: u32 = 1 << 30;
pub const C: u32 = 1 << 29;
pub const V: u32 = 1 << 28;

pub const DAIF_D: u32 = 1 << 9;
pub const DAIF_A: u32 = 1 << 8;
pub const DAIF_I: u32 = 1 << 7;
pub const DAIF_F: u32 = 1 << 6;

impl Pstate {
    /// The SPSR_ELx value that saves this PSTATE (AArch64 format; M[4] = 0).
    pub fn spsr(&self) -> u64 {
        let m = ((self.el as u32) << 2) | self.sp as u32;
        (self.nzcv | self.daif | m | (self.il as u32) << 20 | (self.ss as u32) << 21) as u64
    }
    /// Restores from an AArch64 SPSR value (no legality checks: see `exception::eret`).
    pub fn set_from_spsr(&mut self, spsr: u64) {
        let s = spsr as u32;
        self.nzcv = s & 0xf000_0000;
        self.daif = s & 0x3c0;
        self.el = ((s >> 2) & 3) as u8;
        self.sp = (s & 1) as u8;
        self.il = s >> 20 & 1 == 1;
        self.ss = s >> 21 & 1 == 1;
    }
}

/// General-purpose, SIMD&FP and banked exception registers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[repr(C)]
pub struct ArchState {
    /// X0..X30. Register number 31 is XZR or SP depending on the instruction.
    pub x: [u64; 31],
    /// SP_EL0..SP_EL3.
    pub sp_el: [u64; 4],
    pub pc: u64,
    pub pstate: Pstate,
    /// V0..V31 (Q registers), element 0 in the low bits.
    pub v: [u128; 32],
    pub fpcr: u32,
    pub fpsr: u32,
    /// ELR_EL1..3 at index 1..3 (index 0 unused).
    pub elr: [u64; 4],
    /// SPSR_EL1..3 at index 1..3 (index 0 unused).
    pub spsr: [u64; 4],
}

impl Default for ArchState {
    fn default() -> Self {
        ArchState {
            x: [0; 31],
            sp_el: [0; 4],
            pc: 0,
            pstate: Pstate { daif: 0x3c0, el: 3, sp: 1, ..Default::default() },
            v: [0; 32],
            fpcr: 0,
            fpsr: 0,
            elr: [0; 4],
            spsr: [0; 4],
        }
    }
}

impl ArchState {
    /// Xn with 31 reading as XZR.
    #[inline]
    pub fn xr(&self, r: u32) -> u64 {
        if r == 31 { 0 } else { self.x[r as usize] }
    }
    /// Xn with 31 reading as the current SP.
    #[inline]
    pub fn xsp(&self, r: u32) -> u64 {
        if r == 31 { self.sp() } else { self.x[r as usize] }
    }
    /// Writes Xn; 31 (XZR) discards.
    #[inline]
    pub fn set_xr(&mut self, r: u32, v: u64) {
        if r != 31 {
            self.x[r as usize] = v;
        }
    }
    /// Writes Xn; 31 writes the current SP.
    #[inline]
    pub fn set_xsp(&mut self, r: u32, v: u64) {
        if r == 31 { self.set_sp(v) } else { self.x[r as usize] = v }
    }
    /// Wn (zero-extended) with 31 as WZR.
    #[inline]
    pub fn wr(&self, r: u32) -> u64 {
        self.xr(r) & 0xffff_ffff
    }
    /// Register of width `sf` (true = 64-bit) with 31 as ZR.
    #[inline]
    pub fn reg(&self, sf: bool, r: u32) -> u64 {
        if sf { self.xr(r) } else { self.wr(r) }
    }
    /// Writes a register of width `sf` (a 32-bit write zero-extends); 31 discards.
    #[inline]
    pub fn set_reg(&mut self, sf: bool, r: u32, v: u64) {
        self.set_xr(r, if sf { v } else { v & 0xffff_ffff })
    }
    #[inline]
    fn sp_index(&self) -> usize {
        if self.pstate.sp == 0 { 0 } else { self.pstate.el as usize }
    }
    #[inline]
    pub fn sp(&self) -> u64 {
        self.sp_el[self.sp_index()]
    }
    #[inline]
    pub fn set_sp(&mut self, v: u64) {
        let i = self.sp_index();
        self.sp_el[i] = v;
    }
    pub fn nzcv(&self) -> u32 {
        self.pstate.nzcv
    }
    pub fn set_nzcv(&mut self, v: u32) {
        self.pstate.nzcv = v & 0xf000_0000;
    }
}
