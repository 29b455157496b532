//! AdvSIMD load/store multiple structures (LD1-LD4/ST1-ST4), single structure (one lane)
//! and load-and-replicate (LD1R-LD4R), Arm ARM C7.2 ASL. Every element is its own memory
//! access (alignment is checked per element); registers are written, and the base written
//! back, only after all accesses succeeded. Stores that fault after some elements were
//! written leave memory partly updated, as the architecture allows.

use super::super::{ExecResult, Flow};
use super::base;
use crate::exception::SyncExc;
use crate::mmu::Access;
use crate::platform::Platform;
use crate::Cpu;

#[inline]
fn vreg(t: u32, i: usize) -> usize {
    ((t as usize) + i) % 32
}

/// Post-index writeback: Rm = 31 means "by the number of bytes transferred".
fn writeback(cpu: &mut Cpu, rn: u32, address: u64, offs: u64, post: Option<u32>) {
    if let Some(rm) = post {
        let off = if rm == 31 { offs } else { cpu.st.xr(rm) };
        cpu.st.set_xsp(rn, address.wrapping_add(off));
    }
}

/// LD1-LD4/ST1-ST4 (multiple structures). `post` is Rm for the post-index forms.
#[allow(clippy::too_many_arguments)]
pub(super) fn multiple(cpu: &mut Cpu, p: &mut dyn Platform, load: bool, q: u32, opcode: u32, size: u32, rn: u32, rt: u32, post: Option<u32>) -> ExecResult {
    let (rpt, selem) = match opcode {
        0b0000 => (1, 4),
        0b0010 => (4, 1),
        0b0100 => (1, 3),
        0b0110 => (3, 1),
        0b0111 => (1, 1),
        0b1000 => (1, 2),
        0b1010 => (2, 1),
        _ => return Err(SyncExc::undefined()),
    };
    if size == 3 && q == 0 && selem != 1 {
        return Err(SyncExc::undefined());
    }
    cpu.check_fp_enabled()?;
    let address = base(cpu, rn)?;
    let ebytes = 1u8 << (size & 3);
    let esize = ebytes as u32 * 8;
    let elements = if q == 1 { 16 } else { 8 } / ebytes as usize;
    let nregs = rpt * selem;
    let mut vals = [0u128; 4];
    if !load {
        for (i, v) in vals.iter_mut().enumerate().take(nregs) {
            *v = cpu.st.v[vreg(rt, i)];
        }
    }
    let emask = if esize == 64 { u64::MAX as u128 } else { (1u128 << esize) - 1 };
    let mut offs = 0u64;
    for r in 0..rpt {
        for e in 0..elements {
            for s in 0..selem {
                let i = r + s; // one of rpt, selem is 1
                let a = address.wrapping_add(offs);
                let sh = e as u32 * esize;
                if load {
                    let d = cpu.read_mem(p, a, Access::read(ebytes))?;
                    vals[i] |= (d & emask) << sh;
                } else {
                    cpu.write_mem(p, a, (vals[i] >> sh) & emask, Access::write(ebytes))?;
                }
                offs += ebytes as u64;
            }
        }
    }
    if load {
        // A 64-bit (Q = 0) destination has its upper half cleared.
        for (i, v) in vals.iter().enumerate().take(nregs) {
            cpu.st.v[vreg(rt, i)] = *v;
        }
    }
    writeback(cpu, rn, address, offs, post);
    Ok(Flow::Next)
}

/// LD1-LD4/ST1-ST4 (single structure, one lane); `scale` is opcode<2:1> (0..=2).
#[allow(clippy::too_many_arguments)]
pub(super) fn single(cpu: &mut Cpu, p: &mut dyn Platform, load: bool, selem: usize, q: u32, scale: u32, s: u32, size: u32, rn: u32, rt: u32, post: Option<u32>) -> ExecResult {
    let (scale, index) = match scale {
        0 => (0, q << 3 | s << 2 | size),
        1 if size & 1 == 0 => (1, q << 2 | s << 1 | size >> 1),
        2 if size == 0 => (2, q << 1 | s),
        2 if size == 1 && s == 0 => (3, q),
        _ => return Err(SyncExc::undefined()),
    };
    cpu.check_fp_enabled()?;
    let address = base(cpu, rn)?;
    let ebytes = 1u8 << scale;
    let esize = ebytes as u32 * 8;
    let emask = if esize == 64 { u64::MAX as u128 } else { (1u128 << esize) - 1 };
    let sh = index * esize;
    let mut vals = [0u128; 4];
    for (i, v) in vals.iter_mut().enumerate().take(selem) {
        *v = cpu.st.v[vreg(rt, i)];
    }
    let mut offs = 0u64;
    for v in vals.iter_mut().take(selem) {
        let a = address.wrapping_add(offs);
        if load {
            let d = cpu.read_mem(p, a, Access::read(ebytes))?;
            *v = (*v & !(emask << sh)) | ((d & emask) << sh);
        } else {
            cpu.write_mem(p, a, (*v >> sh) & emask, Access::write(ebytes))?;
        }
        offs += ebytes as u64;
    }
    if load {
        for (i, v) in vals.iter().enumerate().take(selem) {
            cpu.st.v[vreg(rt, i)] = *v;
        }
    }
    writeback(cpu, rn, address, offs, post);
    Ok(Flow::Next)
}

/// LD1R-LD4R: one element per register, replicated to every lane (Q = 0: low 64 bits).
#[allow(clippy::too_many_arguments)]
pub(super) fn replicate(cpu: &mut Cpu, p: &mut dyn Platform, selem: usize, q: u32, size: u32, rn: u32, rt: u32, post: Option<u32>) -> ExecResult {
    cpu.check_fp_enabled()?;
    let address = base(cpu, rn)?;
    let ebytes = 1u8 << (size & 3);
    let esize = ebytes as u32 * 8;
    let lanes = if q == 1 { 128 } else { 64 } / esize;
    let mut vals = [0u128; 4];
    let mut offs = 0u64;
    for v in vals.iter_mut().take(selem) {
        let d = cpu.read_mem(p, address.wrapping_add(offs), Access::read(ebytes))?;
        for l in 0..lanes {
            *v |= d << (l * esize);
        }
        offs += ebytes as u64;
    }
    for (i, v) in vals.iter().enumerate().take(selem) {
        cpu.st.v[vreg(rt, i)] = *v;
    }
    writeback(cpu, rn, address, offs, post);
    Ok(Flow::Next)
}
