//! AdvSIMD integer, bitwise, copy and permute instructions (Arm ARM C4.1.6, the
//! non-floating-point encodings; table `isa/simd.decode`). Lane arithmetic is in
//! `semantics::simd`. Operands are taken from the raw word: the table's lines guarantee
//! that only allocated size/Q combinations reach these functions.

use super::{ExecResult, Flow};
use crate::decode::Simd;
use crate::platform::Platform;
use crate::semantics::simd::{self as s, Op3, OpLong, OpMisc};
use crate::Cpu;

const QC: u32 = 1 << 27;
const LO64: u128 = u64::MAX as u128;

/// The common operand fields of the AdvSIMD encodings.
#[derive(Debug, Clone, Copy)]
struct F {
    q: u32,
    u: bool,
    size: u32,
    rm: usize,
    rn: usize,
    rd: usize,
}

#[inline]
fn f(raw: u32) -> F {
    F {
        q: (raw >> 30) & 1,
        u: (raw >> 29) & 1 == 1,
        size: (raw >> 22) & 3,
        rm: ((raw >> 16) & 31) as usize,
        rn: ((raw >> 5) & 31) as usize,
        rd: (raw & 31) as usize,
    }
}

impl F {
    fn esize(&self) -> u32 {
        8 << self.size
    }
    fn datasize(&self) -> u32 {
        if self.q == 1 { 128 } else { 64 }
    }
    fn elements(&self) -> u32 {
        self.datasize() / self.esize()
    }
}

#[inline]
fn v(cpu: &Cpu, n: usize) -> u128 {
    cpu.st.v[n & 31]
}

/// Writes a vector result: a 64-bit (Q=0) result clears bits 127:64.
#[inline]
fn set_vec(cpu: &mut Cpu, d: usize, val: u128, q: u32) {
    cpu.st.v[d & 31] = if q == 1 { val } else { val & LO64 };
}

/// Writes a scalar result, clearing the rest of the register.
#[inline]
fn set_scalar(cpu: &mut Cpu, d: usize, val: u64) {
    cpu.st.v[d & 31] = val as u128;
}

/// Writes the narrow half `part` (Vpart): part 0 writes bits 63:0 and clears the top,
/// part 1 writes bits 127:64 and keeps the bottom.
#[inline]
fn set_part(cpu: &mut Cpu, d: usize, val: u64, part: u32) {
    let d = d & 31;
    cpu.st.v[d] = if part == 0 { val as u128 } else { (cpu.st.v[d] & LO64) | ((val as u128) << 64) };
}

/// The half `part` of a vector (Vpart), for long and wide operations.
#[inline]
fn part(x: u128, p: u32) -> u128 {
    if p == 0 { x & LO64 } else { x >> 64 }
}

#[inline]
fn qc(cpu: &mut Cpu, sat: bool) {
    if sat {
        cpu.st.fpsr |= QC;
    }
}

pub fn exec(cpu: &mut Cpu, _p: &mut dyn Platform, i: &Simd, raw: u32) -> ExecResult {
    cpu.check_fp_enabled()?;
    use Simd as S;
    match *i {
        // three same, vector
        S::Shadd { .. } => three_same(cpu, raw, Op3::Shadd),
        S::Uhadd { .. } => three_same(cpu, raw, Op3::Uhadd),
        S::SqaddV { .. } => three_same(cpu, raw, Op3::Sqadd),
        S::UqaddV { .. } => three_same(cpu, raw, Op3::Uqadd),
        S::Srhadd { .. } => three_same(cpu, raw, Op3::Srhadd),
        S::Urhadd { .. } => three_same(cpu, raw, Op3::Urhadd),
        S::Shsub { .. } => three_same(cpu, raw, Op3::Shsub),
        S::Uhsub { .. } => three_same(cpu, raw, Op3::Uhsub),
        S::SqsubV { .. } => three_same(cpu, raw, Op3::Sqsub),
        S::UqsubV { .. } => three_same(cpu, raw, Op3::Uqsub),
        S::CmgtV { .. } => three_same(cpu, raw, Op3::Cmgt),
        S::CmhiV { .. } => three_same(cpu, raw, Op3::Cmhi),
        S::CmgeV { .. } => three_same(cpu, raw, Op3::Cmge),
        S::CmhsV { .. } => three_same(cpu, raw, Op3::Cmhs),
        S::SshlV { .. } => three_same(cpu, raw, Op3::Sshl),
        S::UshlV { .. } => three_same(cpu, raw, Op3::Ushl),
        S::SqshlRegV { .. } => three_same(cpu, raw, Op3::Sqshl),
        S::UqshlRegV { .. } => three_same(cpu, raw, Op3::Uqshl),
        S::SrshlV { .. } => three_same(cpu, raw, Op3::Srshl),
        S::UrshlV { .. } => three_same(cpu, raw, Op3::Urshl),
        S::SqrshlV { .. } => three_same(cpu, raw, Op3::Sqrshl),
        S::UqrshlV { .. } => three_same(cpu, raw, Op3::Uqrshl),
        S::Smax { .. } => three_same(cpu, raw, Op3::Smax),
        S::Umax { .. } => three_same(cpu, raw, Op3::Umax),
        S::Smin { .. } => three_same(cpu, raw, Op3::Smin),
        S::Umin { .. } => three_same(cpu, raw, Op3::Umin),
        S::Sabd { .. } => three_same(cpu, raw, Op3::Sabd),
        S::Uabd { .. } => three_same(cpu, raw, Op3::Uabd),
        S::Saba { .. } => three_same(cpu, raw, Op3::Saba),
        S::Uaba { .. } => three_same(cpu, raw, Op3::Uaba),
        S::AddV { .. } => three_same(cpu, raw, Op3::Add),
        S::SubV { .. } => three_same(cpu, raw, Op3::Sub),
        S::CmtstV { .. } => three_same(cpu, raw, Op3::Cmtst),
        S::CmeqV { .. } => three_same(cpu, raw, Op3::Cmeq),
        S::MlaV { .. } => three_same(cpu, raw, Op3::Mla),
        S::MlsV { .. } => three_same(cpu, raw, Op3::Mls),
        S::MulV { .. } => three_same(cpu, raw, Op3::Mul),
        S::Pmul { .. } => three_same(cpu, raw, Op3::Pmul),
        S::SqdmulhV { .. } => three_same(cpu, raw, Op3::Sqdmulh),
        S::SqrdmulhV { .. } => three_same(cpu, raw, Op3::Sqrdmulh),
        S::Smaxp { .. } => pairwise(cpu, raw, Op3::Smax),
        S::Umaxp { .. } => pairwise(cpu, raw, Op3::Umax),
        S::Sminp { .. } => pairwise(cpu, raw, Op3::Smin),
        S::Uminp { .. } => pairwise(cpu, raw, Op3::Umin),
        S::AddpV { .. } => pairwise(cpu, raw, Op3::Add),
        S::AndV { .. } | S::BicV { .. } | S::OrrV { .. } | S::OrnV { .. } | S::EorV { .. } | S::Bsl { .. } | S::Bit { .. } | S::Bif { .. } => {
            logic(cpu, raw)
        }

        // three same, scalar
        S::SqaddS { .. } => three_same_scalar(cpu, raw, Op3::Sqadd),
        S::UqaddS { .. } => three_same_scalar(cpu, raw, Op3::Uqadd),
        S::SqsubS { .. } => three_same_scalar(cpu, raw, Op3::Sqsub),
        S::UqsubS { .. } => three_same_scalar(cpu, raw, Op3::Uqsub),
        S::CmgtS { .. } => three_same_scalar(cpu, raw, Op3::Cmgt),
        S::CmhiS { .. } => three_same_scalar(cpu, raw, Op3::Cmhi),
        S::CmgeS { .. } => three_same_scalar(cpu, raw, Op3::Cmge),
        S::CmhsS { .. } => three_same_scalar(cpu, raw, Op3::Cmhs),
        S::SshlS { .. } => three_same_scalar(cpu, raw, Op3::Sshl),
        S::UshlS { .. } => three_same_scalar(cpu, raw, Op3::Ushl),
        S::SqshlRegS { .. } => three_same_scalar(cpu, raw, Op3::Sqshl),
        S::UqshlRegS { .. } => three_same_scalar(cpu, raw, Op3::Uqshl),
        S::SrshlS { .. } => three_same_scalar(cpu, raw, Op3::Srshl),
        S::UrshlS { .. } => three_same_scalar(cpu, raw, Op3::Urshl),
        S::SqrshlS { .. } => three_same_scalar(cpu, raw, Op3::Sqrshl),
        S::UqrshlS { .. } => three_same_scalar(cpu, raw, Op3::Uqrshl),
        S::AddS { .. } => three_same_scalar(cpu, raw, Op3::Add),
        S::SubS { .. } => three_same_scalar(cpu, raw, Op3::Sub),
        S::CmtstS { .. } => three_same_scalar(cpu, raw, Op3::Cmtst),
        S::CmeqS { .. } => three_same_scalar(cpu, raw, Op3::Cmeq),
        S::SqdmulhS { .. } => three_same_scalar(cpu, raw, Op3::Sqdmulh),
        S::SqrdmulhS { .. } => three_same_scalar(cpu, raw, Op3::Sqrdmulh),

        // three different
        S::Saddl { .. } | S::Uaddl { .. } => long(cpu, raw, OpLong::Add, false),
        S::Saddw { .. } | S::Uaddw { .. } => long(cpu, raw, OpLong::Add, true),
        S::Ssubl { .. } | S::Usubl { .. } => long(cpu, raw, OpLong::Sub, false),
        S::Ssubw { .. } | S::Usubw { .. } => long(cpu, raw, OpLong::Sub, true),
        S::Sabal { .. } | S::Uabal { .. } => long(cpu, raw, OpLong::Abal, false),
        S::Sabdl { .. } | S::Uabdl { .. } => long(cpu, raw, OpLong::Abdl, false),
        S::SmlalV { .. } | S::UmlalV { .. } => long(cpu, raw, OpLong::Mlal, false),
        S::SmlslV { .. } | S::UmlslV { .. } => long(cpu, raw, OpLong::Mlsl, false),
        S::SmullV { .. } | S::UmullV { .. } => long(cpu, raw, OpLong::Mull, false),
        S::SqdmlalV { .. } => long(cpu, raw, OpLong::Sqdmlal, false),
        S::SqdmlslV { .. } => long(cpu, raw, OpLong::Sqdmlsl, false),
        S::SqdmullV { .. } => long(cpu, raw, OpLong::Sqdmull, false),
        S::Addhn { .. } => high_narrow(cpu, raw, false),
        S::Raddhn { .. } => high_narrow(cpu, raw, false),
        S::Subhn { .. } => high_narrow(cpu, raw, true),
        S::Rsubhn { .. } => high_narrow(cpu, raw, true),
        S::SqdmlalS { .. } => long_scalar(cpu, raw, OpLong::Sqdmlal),
        S::SqdmlslS { .. } => long_scalar(cpu, raw, OpLong::Sqdmlsl),
        S::SqdmullS { .. } => long_scalar(cpu, raw, OpLong::Sqdmull),

        // two-register misc
        S::Rev64 { .. } => rev(cpu, raw, 64),
        S::Rev32 { .. } => rev(cpu, raw, 32),
        S::Rev16 { .. } => rev(cpu, raw, 16),
        S::Saddlp { .. } | S::Uaddlp { .. } => addlp(cpu, raw, false),
        S::Sadalp { .. } | S::Uadalp { .. } => addlp(cpu, raw, true),
        S::SuqaddV { .. } => misc(cpu, raw, OpMisc::Suqadd),
        S::UsqaddV { .. } => misc(cpu, raw, OpMisc::Usqadd),
        S::ClsV { .. } => misc(cpu, raw, OpMisc::Cls),
        S::ClzV { .. } => misc(cpu, raw, OpMisc::Clz),
        S::Cnt { .. } => misc(cpu, raw, OpMisc::Cnt),
        S::Not { .. } => misc(cpu, raw, OpMisc::Not),
        S::RbitV { .. } => misc(cpu, raw, OpMisc::Rbit),
        S::SqabsV { .. } => misc(cpu, raw, OpMisc::Sqabs),
        S::SqnegV { .. } => misc(cpu, raw, OpMisc::Sqneg),
        S::CmgtZV { .. } => misc(cpu, raw, OpMisc::CmgtZ),
        S::CmgeZV { .. } => misc(cpu, raw, OpMisc::CmgeZ),
        S::CmeqZV { .. } => misc(cpu, raw, OpMisc::CmeqZ),
        S::CmleZV { .. } => misc(cpu, raw, OpMisc::CmleZ),
        S::CmltZV { .. } => misc(cpu, raw, OpMisc::CmltZ),
        S::AbsV { .. } => misc(cpu, raw, OpMisc::Abs),
        S::NegV { .. } => misc(cpu, raw, OpMisc::Neg),
        S::Urecpe { .. } => misc(cpu, raw, OpMisc::Urecpe),
        S::Ursqrte { .. } => misc(cpu, raw, OpMisc::Ursqrte),
        S::Xtn { .. } => narrow(cpu, raw, Narrow::Xtn, false),
        S::SqxtunV { .. } => narrow(cpu, raw, Narrow::Sqxtun, false),
        S::SqxtnV { .. } => narrow(cpu, raw, Narrow::Sqxtn, false),
        S::UqxtnV { .. } => narrow(cpu, raw, Narrow::Uqxtn, false),
        S::SqxtunS { .. } => narrow(cpu, raw, Narrow::Sqxtun, true),
        S::SqxtnS { .. } => narrow(cpu, raw, Narrow::Sqxtn, true),
        S::UqxtnS { .. } => narrow(cpu, raw, Narrow::Uqxtn, true),
        S::Shll { .. } => shll(cpu, raw),
        S::SuqaddS { .. } => misc_scalar(cpu, raw, OpMisc::Suqadd),
        S::UsqaddS { .. } => misc_scalar(cpu, raw, OpMisc::Usqadd),
        S::SqabsS { .. } => misc_scalar(cpu, raw, OpMisc::Sqabs),
        S::SqnegS { .. } => misc_scalar(cpu, raw, OpMisc::Sqneg),
        S::CmgtZS { .. } => misc_scalar(cpu, raw, OpMisc::CmgtZ),
        S::CmgeZS { .. } => misc_scalar(cpu, raw, OpMisc::CmgeZ),
        S::CmeqZS { .. } => misc_scalar(cpu, raw, OpMisc::CmeqZ),
        S::CmleZS { .. } => misc_scalar(cpu, raw, OpMisc::CmleZ),
        S::CmltZS { .. } => misc_scalar(cpu, raw, OpMisc::CmltZ),
        S::AbsS { .. } => misc_scalar(cpu, raw, OpMisc::Abs),
        S::NegS { .. } => misc_scalar(cpu, raw, OpMisc::Neg),

        // across lanes, scalar pairwise
        S::Saddlv { .. } | S::Uaddlv { .. } => across(cpu, raw, Across::Addl),
        S::Smaxv { .. } => across(cpu, raw, Across::Op(Op3::Smax)),
        S::Umaxv { .. } => across(cpu, raw, Across::Op(Op3::Umax)),
        S::Sminv { .. } => across(cpu, raw, Across::Op(Op3::Smin)),
        S::Uminv { .. } => across(cpu, raw, Across::Op(Op3::Umin)),
        S::Addv { .. } => across(cpu, raw, Across::Op(Op3::Add)),
        S::AddpS { .. } => {
            let x = f(raw);
            let a = v(cpu, x.rn);
            set_scalar(cpu, x.rd, (a as u64).wrapping_add((a >> 64) as u64));
        }

        // copy
        S::DupElemV { .. } | S::DupGen { .. } | S::InsGen { .. } | S::Smov { .. } | S::Umov { .. } | S::InsElem { .. } | S::DupElemS { .. } => {
            copy(cpu, raw)
        }

        // permute, extract, table
        S::Uzp1 { .. } | S::Uzp2 { .. } | S::Trn1 { .. } | S::Trn2 { .. } | S::Zip1 { .. } | S::Zip2 { .. } => permute(cpu, raw),
        S::Ext { .. } => ext(cpu, raw),
        S::Tbl { .. } | S::Tbx { .. } => tbl(cpu, raw),

        // modified immediate
        S::Movi32 { .. } | S::Movi16 { .. } | S::MoviMsl { .. } | S::Movi8 { .. } | S::Movi64 { .. } => mod_imm(cpu, raw, ModImm::Mov),
        S::Mvni32 { .. } | S::Mvni16 { .. } | S::MvniMsl { .. } => mod_imm(cpu, raw, ModImm::Mvn),
        S::OrrVi32 { .. } | S::OrrVi16 { .. } => mod_imm(cpu, raw, ModImm::Orr),
        S::BicVi32 { .. } | S::BicVi16 { .. } => mod_imm(cpu, raw, ModImm::Bic),

        // shift by immediate
        S::SshrV { .. } | S::UshrV { .. } => shift_imm(cpu, raw, Sh::Shr, false),
        S::SsraV { .. } | S::UsraV { .. } => shift_imm(cpu, raw, Sh::Sra, false),
        S::SrshrV { .. } | S::UrshrV { .. } => shift_imm(cpu, raw, Sh::Rshr, false),
        S::SrsraV { .. } | S::UrsraV { .. } => shift_imm(cpu, raw, Sh::Rsra, false),
        S::SriV { .. } => shift_imm(cpu, raw, Sh::Sri, false),
        S::ShlV { .. } => shift_imm(cpu, raw, Sh::Shl, false),
        S::SliV { .. } => shift_imm(cpu, raw, Sh::Sli, false),
        S::SqshluV { .. } => shift_imm(cpu, raw, Sh::Sqshlu, false),
        S::SqshlImmV { .. } | S::UqshlImmV { .. } => shift_imm(cpu, raw, Sh::Qshl, false),
        S::SshrS { .. } | S::UshrS { .. } => shift_imm(cpu, raw, Sh::Shr, true),
        S::SsraS { .. } | S::UsraS { .. } => shift_imm(cpu, raw, Sh::Sra, true),
        S::SrshrS { .. } | S::UrshrS { .. } => shift_imm(cpu, raw, Sh::Rshr, true),
        S::SrsraS { .. } | S::UrsraS { .. } => shift_imm(cpu, raw, Sh::Rsra, true),
        S::SriS { .. } => shift_imm(cpu, raw, Sh::Sri, true),
        S::ShlS { .. } => shift_imm(cpu, raw, Sh::Shl, true),
        S::SliS { .. } => shift_imm(cpu, raw, Sh::Sli, true),
        S::SqshluS { .. } => shift_imm(cpu, raw, Sh::Sqshlu, true),
        S::SqshlImmS { .. } | S::UqshlImmS { .. } => shift_imm(cpu, raw, Sh::Qshl, true),
        S::Shrn { .. } => shift_narrow(cpu, raw, Narrow::Xtn, false, false),
        S::Rshrn { .. } => shift_narrow(cpu, raw, Narrow::Xtn, true, false),
        S::SqshrunV { .. } => shift_narrow(cpu, raw, Narrow::Sqxtun, false, false),
        S::SqrshrunV { .. } => shift_narrow(cpu, raw, Narrow::Sqxtun, true, false),
        S::SqshrnV { .. } => shift_narrow(cpu, raw, Narrow::Sqxtn, false, false),
        S::SqrshrnV { .. } => shift_narrow(cpu, raw, Narrow::Sqxtn, true, false),
        S::UqshrnV { .. } => shift_narrow(cpu, raw, Narrow::Uqxtn, false, false),
        S::UqrshrnV { .. } => shift_narrow(cpu, raw, Narrow::Uqxtn, true, false),
        S::SqshrunS { .. } => shift_narrow(cpu, raw, Narrow::Sqxtun, false, true),
        S::SqrshrunS { .. } => shift_narrow(cpu, raw, Narrow::Sqxtun, true, true),
        S::SqshrnS { .. } => shift_narrow(cpu, raw, Narrow::Sqxtn, false, true),
        S::SqrshrnS { .. } => shift_narrow(cpu, raw, Narrow::Sqxtn, true, true),
        S::UqshrnS { .. } => shift_narrow(cpu, raw, Narrow::Uqxtn, false, true),
        S::UqrshrnS { .. } => shift_narrow(cpu, raw, Narrow::Uqxtn, true, true),
        S::Sshll { .. } | S::Ushll { .. } => shll_imm(cpu, raw),

        // by element
        S::MlaElemV { .. } => by_elem(cpu, raw, ElemOp::Same(Op3::Mla), false),
        S::MlsElemV { .. } => by_elem(cpu, raw, ElemOp::Same(Op3::Mls), false),
        S::MulElemV { .. } => by_elem(cpu, raw, ElemOp::Same(Op3::Mul), false),
        S::SqdmulhElemV { .. } => by_elem(cpu, raw, ElemOp::Same(Op3::Sqdmulh), false),
        S::SqrdmulhElemV { .. } => by_elem(cpu, raw, ElemOp::Same(Op3::Sqrdmulh), false),
        S::SmlalElemV { .. } | S::UmlalElemV { .. } => by_elem(cpu, raw, ElemOp::Long(OpLong::Mlal), false),
        S::SmlslElemV { .. } | S::UmlslElemV { .. } => by_elem(cpu, raw, ElemOp::Long(OpLong::Mlsl), false),
        S::SmullElemV { .. } | S::UmullElemV { .. } => by_elem(cpu, raw, ElemOp::Long(OpLong::Mull), false),
        S::SqdmlalElemV { .. } => by_elem(cpu, raw, ElemOp::Long(OpLong::Sqdmlal), false),
        S::SqdmlslElemV { .. } => by_elem(cpu, raw, ElemOp::Long(OpLong::Sqdmlsl), false),
        S::SqdmullElemV { .. } => by_elem(cpu, raw, ElemOp::Long(OpLong::Sqdmull), false),
        S::SqdmulhElemS { .. } => by_elem(cpu, raw, ElemOp::Same(Op3::Sqdmulh), true),
        S::SqrdmulhElemS { .. } => by_elem(cpu, raw, ElemOp::Same(Op3::Sqrdmulh), true),
        S::SqdmlalElemS { .. } => by_elem(cpu, raw, ElemOp::Long(OpLong::Sqdmlal), true),
        S::SqdmlslElemS { .. } => by_elem(cpu, raw, ElemOp::Long(OpLong::Sqdmlsl), true),
        S::SqdmullElemS { .. } => by_elem(cpu, raw, ElemOp::Long(OpLong::Sqdmull), true),
    }
    Ok(Flow::Next)
}

fn three_same(cpu: &mut Cpu, raw: u32, op: Op3) {
    let x = f(raw);
    let es = x.esize();
    let (a, b, d) = (s::unpack(v(cpu, x.rn), es), s::unpack(v(cpu, x.rm), es), s::unpack(v(cpu, x.rd), es));
    let mut r = [0u64; 16];
    let mut sat = false;
    for e in 0..x.elements() as usize {
        let (val, q) = s::op3(op, es, a[e], b[e], d[e]);
        sat |= q;
        r[e] = val;
    }
    qc(cpu, sat);
    set_vec(cpu, x.rd, s::pack(&r, es), x.q);
}

fn three_same_scalar(cpu: &mut Cpu, raw: u32, op: Op3) {
    let x = f(raw);
    let es = x.esize();
    let (val, q) = s::op3(op, es, s::elem(v(cpu, x.rn), 0, es), s::elem(v(cpu, x.rm), 0, es), 0);
    qc(cpu, q);
    set_scalar(cpu, x.rd, val);
}

/// Pairwise: the operation on adjacent pairs of the concatenation Vm:Vn.
fn pairwise(cpu: &mut Cpu, raw: u32, op: Op3) {
    let x = f(raw);
    let es = x.esize();
    let n = x.elements() as usize;
    let (a, b) = (s::unpack(v(cpu, x.rn), es), s::unpack(v(cpu, x.rm), es));
    let get = |i: usize| if i < n { a[i] } else { b[i - n] };
    let mut r = [0u64; 16];
    for (e, o) in r.iter_mut().take(n).enumerate() {
        *o = s::op3(op, es, get(2 * e), get(2 * e + 1), 0).0;
    }
    set_vec(cpu, x.rd, s::pack(&r, es), x.q);
}

/// AND, BIC, ORR, ORN, EOR, BSL, BIT, BIF (vector, register).
fn logic(cpu: &mut Cpu, raw: u32) {
    let x = f(raw);
    let (n, m, d) = (v(cpu, x.rn), v(cpu, x.rm), v(cpu, x.rd));
    let r = match (x.u, x.size) {
        (false, 0) => n & m,
        (false, 1) => n & !m,
        (false, 2) => n | m,
        (false, _) => n | !m,
        (true, 0) => n ^ m,
        (true, 1) => (d & n) | (!d & m),
        (true, 2) => (m & n) | (!m & d),
        (true, _) => (!m & n) | (m & d),
    };
    set_vec(cpu, x.rd, r, x.q);
}

/// Three different, long and wide forms (SADDL .. SQDMULL); `wide` = the first operand is
/// already 2*esize (SADDW, SSUBW...).
fn long(cpu: &mut Cpu, raw: u32, op: OpLong, wide: bool) {
    let x = f(raw);
    let es = x.esize();
    let unsigned = x.u && !matches!(op, OpLong::Sqdmlal | OpLong::Sqdmlsl | OpLong::Sqdmull);
    let n = v(cpu, x.rn);
    let nw = s::unpack(n, 2 * es);
    let np = s::unpack(part(n, x.q), es);
    let m = s::unpack(part(v(cpu, x.rm), x.q), es);
    let d = s::unpack(v(cpu, x.rd), 2 * es);
    let mut r = [0u64; 16];
    let mut sat = false;
    for e in 0..(64 / es) as usize {
        let a = if wide { s::int(nw[e], 2 * es, unsigned) } else { s::int(np[e], es, unsigned) };
        let b = s::int(m[e], es, unsigned);
        let (val, q) = s::op_long(op, es, a, b, d[e]);
        sat |= q;
        r[e] = val;
    }
    qc(cpu, sat);
    set_vec(cpu, x.rd, s::pack(&r, 2 * es), 1);
}

fn long_scalar(cpu: &mut Cpu, raw: u32, op: OpLong) {
    let x = f(raw);
    let es = x.esize();
    let a = s::int(s::elem(v(cpu, x.rn), 0, es), es, false);
    let b = s::int(s::elem(v(cpu, x.rm), 0, es), es, false);
    let (val, q) = s::op_long(op, es, a, b, s::elem(v(cpu, x.rd), 0, 2 * es));
    qc(cpu, q);
    set_scalar(cpu, x.rd, val);
}

/// ADDHN, RADDHN, SUBHN, RSUBHN (the rounding forms have U=1).
fn high_narrow(cpu: &mut Cpu, raw: u32, sub: bool) {
    let x = f(raw);
    let es = x.esize();
    let (n, m) = (s::unpack(v(cpu, x.rn), 2 * es), s::unpack(v(cpu, x.rm), 2 * es));
    let mut r = [0u64; 16];
    for e in 0..(64 / es) as usize {
        r[e] = s::op_high_narrow(sub, x.u, es, n[e], m[e]);
    }
    set_part(cpu, x.rd, s::pack(&r, es) as u64, x.q);
}

/// REV16/REV32/REV64: reverse the order of `esize` elements in each `container`.
fn rev(cpu: &mut Cpu, raw: u32, container: u32) {
    let x = f(raw);
    let es = x.esize();
    let n = s::unpack(v(cpu, x.rn), es);
    let per = (container / es) as usize;
    let mut r = [0u64; 16];
    for (e, o) in r.iter_mut().take(x.elements() as usize).enumerate() {
        *o = n[e - e % per + (per - 1 - e % per)];
    }
    set_vec(cpu, x.rd, s::pack(&r, es), x.q);
}

/// SADDLP/UADDLP (and the accumulating SADALP/UADALP).
fn addlp(cpu: &mut Cpu, raw: u32, acc: bool) {
    let x = f(raw);
    let es = x.esize();
    let n = s::unpack(v(cpu, x.rn), es);
    let d = s::unpack(v(cpu, x.rd), 2 * es);
    let mut r = [0u64; 16];
    for e in 0..(x.datasize() / (2 * es)) as usize {
        let a = s::int(n[2 * e], es, x.u) + s::int(n[2 * e + 1], es, x.u);
        r[e] = if acc { (d[e] as i128).wrapping_add(a) } else { a } as u64;
    }
    set_vec(cpu, x.rd, s::pack(&r, 2 * es), x.q);
}

fn misc(cpu: &mut Cpu, raw: u32, op: OpMisc) {
    let mut x = f(raw);
    if op == OpMisc::Rbit {
        x.size = 0; // RBIT (vector) has size=01 but reverses bytes
    }
    let es = x.esize();
    let (n, d) = (s::unpack(v(cpu, x.rn), es), s::unpack(v(cpu, x.rd), es));
    let mut r = [0u64; 16];
    let mut sat = false;
    for e in 0..x.elements() as usize {
        let (val, q) = s::op_misc(op, es, n[e], d[e]);
        sat |= q;
        r[e] = val;
    }
    qc(cpu, sat);
    set_vec(cpu, x.rd, s::pack(&r, es), x.q);
}

fn misc_scalar(cpu: &mut Cpu, raw: u32, op: OpMisc) {
    let x = f(raw);
    let es = x.esize();
    let (val, q) = s::op_misc(op, es, s::elem(v(cpu, x.rn), 0, es), s::elem(v(cpu, x.rd), 0, es));
    qc(cpu, q);
    set_scalar(cpu, x.rd, val);
}

#[derive(Clone, Copy)]
enum Narrow {
    Xtn,
    Sqxtn,
    Uqxtn,
    Sqxtun,
}

/// Narrows one 2*esize value (as an exact integer) to esize bits.
fn narrow_one(kind: Narrow, x: i128, es: u32) -> (u64, bool) {
    match kind {
        Narrow::Xtn => (x as u64 & s::ones(es), false),
        Narrow::Sqxtn => s::sat_q(x, es, false),
        Narrow::Uqxtn | Narrow::Sqxtun => s::sat_q(x, es, true),
    }
}

/// XTN, SQXTN, UQXTN, SQXTUN (vector writes Vpart; scalar writes one element).
fn narrow(cpu: &mut Cpu, raw: u32, kind: Narrow, scalar: bool) {
    let x = f(raw);
    let es = x.esize();
    let n = s::unpack(v(cpu, x.rn), 2 * es);
    let unsigned = matches!(kind, Narrow::Uqxtn);
    let count = if scalar { 1 } else { (64 / es) as usize };
    let mut r = [0u64; 16];
    let mut sat = false;
    for e in 0..count {
        let (val, q) = narrow_one(kind, s::int(n[e], 2 * es, unsigned), es);
        sat |= q;
        r[e] = val;
    }
    qc(cpu, sat);
    let r = s::pack(&r, es) as u64;
    if scalar {
        set_scalar(cpu, x.rd, r);
    } else {
        set_part(cpu, x.rd, r, x.q);
    }
}

/// SHLL/SHLL2: widen and shift left by esize.
fn shll(cpu: &mut Cpu, raw: u32) {
    let x = f(raw);
    let es = x.esize();
    let n = s::unpack(part(v(cpu, x.rn), x.q), es);
    let mut r = [0u64; 16];
    for e in 0..(64 / es) as usize {
        r[e] = n[e] << es;
    }
    set_vec(cpu, x.rd, s::pack(&r, 2 * es), 1);
}

#[derive(Clone, Copy)]
enum Across {
    Addl,
    Op(Op3),
}

fn across(cpu: &mut Cpu, raw: u32, kind: Across) {
    let x = f(raw);
    let es = x.esize();
    let n = s::unpack(v(cpu, x.rn), es);
    let ne = x.elements() as usize;
    let val = match kind {
        Across::Addl => {
            let sum: i128 = n.iter().take(ne).map(|&a| s::int(a, es, x.u)).sum();
            sum as u64 & s::ones(2 * es)
        }
        Across::Op(op) => n.iter().take(ne).skip(1).fold(n[0], |acc, &a| s::op3(op, es, acc, a, 0).0),
    };
    set_scalar(cpu, x.rd, val);
}

/// DUP (element, general, scalar), INS (element, general), SMOV, UMOV.
fn copy(cpu: &mut Cpu, raw: u32) {
    let x = f(raw);
    let imm5 = (raw >> 16) & 31;
    let imm4 = (raw >> 11) & 15;
    let size = imm5.trailing_zeros().min(4);
    let es = 8u32 << size;
    let index = imm5 >> (size + 1);
    let scalar = (raw >> 28) & 1 == 1;
    let op = (raw >> 29) & 1;
    let n = v(cpu, x.rn);
    if scalar {
        set_scalar(cpu, x.rd, s::elem(n, index, es));
        return;
    }
    if op == 1 {
        // INS (element)
        let src = s::elem(n, imm4 >> size, es);
        let mut d = v(cpu, x.rd);
        s::set_elem(&mut d, index, es, src);
        set_vec(cpu, x.rd, d, 1);
        return;
    }
    match imm4 {
        0b0000 | 0b0001 => {
            let el = if imm4 == 0 { s::elem(n, index, es) } else { cpu.st.xr(x.rn as u32) & s::ones(es) };
            let mut r = 0u128;
            for e in 0..x.datasize() / es {
                s::set_elem(&mut r, e, es, el);
            }
            set_vec(cpu, x.rd, r, x.q);
        }
        0b0011 => {
            let mut d = v(cpu, x.rd);
            s::set_elem(&mut d, index, es, cpu.st.xr(x.rn as u32));
            set_vec(cpu, x.rd, d, 1);
        }
        0b0101 => {
            let val = s::sext(s::elem(n, index, es), es) as u64;
            cpu.st.set_reg(x.q == 1, x.rd as u32, val);
        }
        _ => {
            // 0b0111 UMOV
            cpu.st.set_reg(x.q == 1, x.rd as u32, s::elem(n, index, es));
        }
    }
}

/// UZP1/2, TRN1/2, ZIP1/2.
fn permute(cpu: &mut Cpu, raw: u32) {
    let x = f(raw);
    let es = x.esize();
    let ne = x.elements() as usize;
    let op = (raw >> 12) & 3;
    let p = ((raw >> 14) & 1) as usize;
    let (n, m) = (s::unpack(v(cpu, x.rn), es), s::unpack(v(cpu, x.rm), es));
    let mut r = [0u64; 16];
    match op {
        1 => {
            // UZP: even/odd elements of the concatenation Vm:Vn
            for (e, o) in r.iter_mut().take(ne).enumerate() {
                let i = 2 * e + p;
                *o = if i < ne { n[i] } else { m[i - ne] };
            }
        }
        2 => {
            for k in 0..ne / 2 {
                r[2 * k] = n[2 * k + p];
                r[2 * k + 1] = m[2 * k + p];
            }
        }
        _ => {
            let base = p * ne / 2;
            for k in 0..ne / 2 {
                r[2 * k] = n[base + k];
                r[2 * k + 1] = m[base + k];
            }
        }
    }
    set_vec(cpu, x.rd, s::pack(&r, es), x.q);
}

fn ext(cpu: &mut Cpu, raw: u32) {
    let x = f(raw);
    let imm4 = ((raw >> 11) & 15) as usize;
    let bytes = (x.datasize() / 8) as usize;
    let (n, m) = (v(cpu, x.rn).to_le_bytes(), v(cpu, x.rm).to_le_bytes());
    let mut r = [0u8; 16];
    for (i, o) in r.iter_mut().take(bytes).enumerate() {
        let j = i + imm4;
        *o = if j < bytes { n[j] } else { m[(j - bytes) & 15] };
    }
    set_vec(cpu, x.rd, u128::from_le_bytes(r), x.q);
}

/// TBL/TBX with 1..4 table registers (wrapping from V31 to V0).
fn tbl(cpu: &mut Cpu, raw: u32) {
    let x = f(raw);
    let regs = (((raw >> 13) & 3) + 1) as usize;
    let is_tbx = (raw >> 12) & 1 == 1;
    let mut table = [0u8; 64];
    for (k, chunk) in table.chunks_exact_mut(16).take(regs).enumerate() {
        chunk.copy_from_slice(&v(cpu, (x.rn + k) % 32).to_le_bytes());
    }
    let idx = v(cpu, x.rm).to_le_bytes();
    let mut r = v(cpu, x.rd).to_le_bytes();
    for (i, o) in r.iter_mut().enumerate() {
        let k = idx[i] as usize;
        if k < 16 * regs {
            *o = table[k];
        } else if !is_tbx {
            *o = 0;
        }
    }
    set_vec(cpu, x.rd, u128::from_le_bytes(r), x.q);
}

#[derive(Clone, Copy)]
enum ModImm {
    Mov,
    Mvn,
    Orr,
    Bic,
}

fn mod_imm(cpu: &mut Cpu, raw: u32, kind: ModImm) {
    let x = f(raw);
    let cmode = (raw >> 12) & 15;
    let op = (raw >> 29) & 1;
    let imm8 = (((raw >> 16) & 7) << 5) | ((raw >> 5) & 31);
    let imm = s::expand_imm(op, cmode, imm8);
    let imm = (imm as u128) | ((imm as u128) << 64);
    let d = v(cpu, x.rd);
    let r = match kind {
        ModImm::Mov => imm,
        ModImm::Mvn => !imm,
        ModImm::Orr => d | imm,
        ModImm::Bic => d & !imm,
    };
    set_vec(cpu, x.rd, r, x.q);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sh {
    Shr,
    Sra,
    Rshr,
    Rsra,
    Sri,
    Shl,
    Sli,
    Sqshlu,
    Qshl,
}

/// (esize, immh:immb) from a shift-by-immediate encoding.
fn shift_fields(raw: u32) -> (u32, u32) {
    let immh = (raw >> 19) & 15;
    let hsb = 31 - immh.max(1).leading_zeros();
    (8 << hsb, (raw >> 16) & 127)
}

fn shift_imm(cpu: &mut Cpu, raw: u32, kind: Sh, scalar: bool) {
    let x = f(raw);
    let (es, immhb) = shift_fields(raw);
    let left = matches!(kind, Sh::Shl | Sh::Sli | Sh::Sqshlu | Sh::Qshl);
    let shift = if left { immhb - es } else { 2 * es - immhb };
    let (n, d) = (s::unpack(v(cpu, x.rn), es), s::unpack(v(cpu, x.rd), es));
    let count = if scalar { 1 } else { x.datasize() / es };
    let m = s::ones(es);
    let mut r = [0u64; 16];
    let mut sat = false;
    for e in 0..count as usize {
        let a = n[e];
        let de = d[e];
        let val = match kind {
            Sh::Shr => s::shr_imm(a, es, shift, x.u, false) as u64,
            Sh::Rshr => s::shr_imm(a, es, shift, x.u, true) as u64,
            Sh::Sra => de.wrapping_add(s::shr_imm(a, es, shift, x.u, false) as u64),
            Sh::Rsra => de.wrapping_add(s::shr_imm(a, es, shift, x.u, true) as u64),
            Sh::Sri => {
                let mask = if shift >= 64 { 0 } else { m >> shift };
                let sh = if shift >= 64 { 0 } else { a >> shift };
                (de & !mask) | (sh & mask)
            }
            Sh::Shl => a << shift,
            Sh::Sli => {
                let mask = (m << shift) & m;
                (de & !mask) | ((a << shift) & mask)
            }
            Sh::Sqshlu => {
                let (v, q) = s::sat_q(s::int(a, es, false) << shift, es, true);
                sat |= q;
                v
            }
            Sh::Qshl => {
                let (v, q) = s::sat_q(s::int(a, es, x.u) << shift, es, x.u);
                sat |= q;
                v
            }
        };
        r[e] = val & m;
    }
    qc(cpu, sat);
    let r = s::pack(&r, es);
    if scalar {
        set_scalar(cpu, x.rd, r as u64);
    } else {
        set_vec(cpu, x.rd, r, x.q);
    }
}

/// SHRN, RSHRN, SQSHRN, SQRSHRN, UQSHRN, UQRSHRN, SQSHRUN, SQRSHRUN.
fn shift_narrow(cpu: &mut Cpu, raw: u32, kind: Narrow, round: bool, scalar: bool) {
    let x = f(raw);
    let (es, immhb) = shift_fields(raw);
    let shift = 2 * es - immhb;
    let n = s::unpack(v(cpu, x.rn), 2 * es);
    let unsigned = matches!(kind, Narrow::Uqxtn) || (matches!(kind, Narrow::Xtn) && x.u);
    let count = if scalar { 1 } else { 64 / es };
    let mut r = [0u64; 16];
    let mut sat = false;
    for e in 0..count as usize {
        let wide = s::shr_imm(n[e], 2 * es, shift, unsigned, round);
        let (val, q) = narrow_one(kind, wide, es);
        sat |= q;
        r[e] = val;
    }
    qc(cpu, sat);
    let r = s::pack(&r, es);
    if scalar {
        set_scalar(cpu, x.rd, r as u64);
    } else {
        set_part(cpu, x.rd, r as u64, x.q);
    }
}

/// SSHLL/USHLL (SXTL/UXTL).
fn shll_imm(cpu: &mut Cpu, raw: u32) {
    let x = f(raw);
    let (es, immhb) = shift_fields(raw);
    let shift = immhb - es;
    let n = s::unpack(part(v(cpu, x.rn), x.q), es);
    let mut r = [0u64; 16];
    for e in 0..(64 / es) as usize {
        r[e] = (s::int(n[e], es, x.u) << shift) as u64;
    }
    set_vec(cpu, x.rd, s::pack(&r, 2 * es), 1);
}

#[derive(Clone, Copy)]
enum ElemOp {
    Same(Op3),
    Long(OpLong),
}

/// Vector and scalar "by element" forms.
fn by_elem(cpu: &mut Cpu, raw: u32, op: ElemOp, scalar: bool) {
    let x = f(raw);
    let es = x.esize();
    let (h, l, mbit) = ((raw >> 11) & 1, (raw >> 21) & 1, (raw >> 20) & 1);
    let (index, rm) = if x.size == 1 {
        ((h << 2) | (l << 1) | mbit, (raw >> 16) & 15)
    } else {
        ((h << 1) | l, (raw >> 16) & 31)
    };
    let el2 = s::elem(v(cpu, rm as usize), index, es);
    let (n, d) = (v(cpu, x.rn), v(cpu, x.rd));
    let mut sat = false;
    match op {
        ElemOp::Same(o) => {
            let (n, d) = (s::unpack(n, es), s::unpack(d, es));
            let count = if scalar { 1 } else { x.elements() as usize };
            let mut r = [0u64; 16];
            for e in 0..count {
                let (val, q) = s::op3(o, es, n[e], el2, d[e]);
                sat |= q;
                r[e] = val;
            }
            qc(cpu, sat);
            let r = s::pack(&r, es);
            if scalar {
                set_scalar(cpu, x.rd, r as u64);
            } else {
                set_vec(cpu, x.rd, r, x.q);
            }
        }
        ElemOp::Long(o) => {
            let unsigned = x.u && !matches!(o, OpLong::Sqdmlal | OpLong::Sqdmlsl | OpLong::Sqdmull);
            let np = s::unpack(if scalar { n } else { part(n, x.q) }, es);
            let d = s::unpack(d, 2 * es);
            let b = s::int(el2, es, unsigned);
            let count = if scalar { 1 } else { (64 / es) as usize };
            let mut r = [0u64; 16];
            for e in 0..count {
                let a = s::int(np[e], es, unsigned);
                let (val, q) = s::op_long(o, es, a, b, d[e]);
                sat |= q;
                r[e] = val;
            }
            qc(cpu, sat);
            let r = s::pack(&r, 2 * es);
            if scalar {
                set_scalar(cpu, x.rd, r as u64);
            } else {
                set_vec(cpu, x.rd, r, 1);
            }
        }
    }
}
