//! The A64 decoder. The encoding table (`isa/*.decode`) is turned into `Insn`, `ENCODINGS`
//! and `construct` at build time; `decode` walks a decision tree built once from
//! `ENCODINGS`, so the table is the only description of the instruction set.

use std::sync::OnceLock;

pub mod disasm;

/// One slice of a field: `width` bits starting at bit `lo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSlice {
    pub lo: u32,
    pub width: u32,
}

/// A named field of an encoding; its slices are concatenated most significant first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub slices: &'static [FieldSlice],
}

impl Field {
    pub fn width(&self) -> u32 {
        self.slices.iter().map(|s| s.width).sum()
    }
    pub fn extract(&self, w: u32) -> u32 {
        let mut v = 0u64;
        for s in self.slices {
            v = (v << s.width) | ((w as u64 >> s.lo) & ((1u64 << s.width) - 1));
        }
        v as u32
    }
    /// The bits of the instruction word this field covers.
    pub fn mask(&self) -> u32 {
        self.slices.iter().fold(0u32, |m, s| m | ((((1u64 << s.width) - 1) as u32) << s.lo))
    }
}

/// One line of the encoding table.
#[derive(Debug, Clone, Copy)]
pub struct Encoding {
    pub name: &'static str,
    pub group: &'static str,
    pub mask: u32,
    pub bits: u32,
    pub fields: &'static [Field],
    pub feat: &'static str,
    pub asm: &'static str,
    pub not: &'static [(usize, u32)],
    pub notmask: &'static [(u32, u32)],
    pub block: Option<u32>,
    pub source: &'static str,
}

impl Encoding {
    /// Whether word `w` is matched by this line (fixed bits and exclusions).
    #[inline]
    pub fn matches(&self, w: u32) -> bool {
        w & self.mask == self.bits
            && self.not.iter().all(|&(f, v)| self.fields[f].extract(w) != v)
            && self.notmask.iter().all(|&(m, v)| w & m != v)
    }
    pub fn is_unalloc(&self) -> bool {
        self.name.starts_with("UNALLOC_")
    }
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

include!(concat!(env!("OUT_DIR"), "/a64_gen.rs"));

enum Node {
    Switch { shift: u32, width: u32, children: Vec<Node> },
    Leaf(Vec<u16>),
}

fn build(cands: Vec<u16>, known: u32, depth: u32) -> Node {
    if cands.len() <= 2 || depth > 12 {
        return Node::Leaf(cands);
    }
    let common = cands.iter().fold(!known, |m, &i| m & ENCODINGS[i as usize].mask);
    let (shift, width) = if common != 0 {
        // longest contiguous run of commonly fixed bits, at most 8 bits wide
        let mut best = (0u32, 0u32);
        let mut b = 0;
        while b < 32 {
            if common >> b & 1 == 1 {
                let start = b;
                while b < 32 && common >> b & 1 == 1 {
                    b += 1;
                }
                if b - start > best.1 {
                    best = (start, b - start);
                }
            } else {
                b += 1;
            }
        }
        if best.1 > 8 {
            (best.0 + best.1 - 8, 8)
        } else {
            best
        }
    } else {
        // the bit fixed by most candidates
        let mut best = (0u32, 0usize);
        for bit in 0..32 {
            if known >> bit & 1 == 1 {
                continue;
            }
            let n = cands.iter().filter(|&&i| ENCODINGS[i as usize].mask >> bit & 1 == 1).count();
            if n > best.1 {
                best = (bit, n);
            }
        }
        if best.1 * 2 < cands.len() && cands.len() <= 6 || best.1 == 0 {
            return Node::Leaf(cands);
        }
        (best.0, 1)
    };
    let fmask = ((1u64 << width) - 1) as u32;
    let known2 = known | (fmask << shift);
    let children = (0..=fmask)
        .map(|v| {
            let sub: Vec<u16> = cands
                .iter()
                .copied()
                .filter(|&i| {
                    let e = &ENCODINGS[i as usize];
                    let m = (e.mask >> shift) & fmask;
                    (e.bits >> shift) & m == v & m
                })
                .collect();
            build(sub, known2, depth + 1)
        })
        .collect();
    Node::Switch { shift, width, children }
}

fn tree() -> &'static Node {
    static TREE: OnceLock<Node> = OnceLock::new();
    TREE.get_or_init(|| build((0..ENCODINGS.len() as u16).collect(), 0, 0))
}

/// Returns the index into `ENCODINGS` of the line that matches `w`, if any.
/// Lines keep table order inside a leaf, so the first line of a priority block wins.
pub fn lookup(w: u32) -> Option<u16> {
    let mut n = tree();
    loop {
        match n {
            Node::Switch { shift, width, children } => {
                n = &children[((w >> shift) & (((1u64 << width) - 1) as u32)) as usize];
            }
            Node::Leaf(c) => {
                return c.iter().copied().find(|&i| ENCODINGS[i as usize].matches(w));
            }
        }
    }
}

/// Decodes one A64 instruction word.
pub fn decode(w: u32) -> Insn {
    match lookup(w) {
        Some(i) => construct(i, w),
        None => Insn::Undefined(w),
    }
}

/// Reference decoder: a linear scan of the table in order. Used by tests to check the tree.
pub fn lookup_linear(w: u32) -> Option<u16> {
    let mut hit: Option<u16> = None;
    for (i, e) in ENCODINGS.iter().enumerate() {
        if e.matches(w) {
            match hit {
                None => hit = Some(i as u16),
                Some(h) => {
                    // only lines of the same priority block may both match; the first wins
                    debug_assert_eq!(ENCODINGS[h as usize].block, e.block);
                }
            }
        }
    }
    hit
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decision tree agrees with a linear scan of the table on pseudo-random words and
    /// on words built from every pattern's fixed bits.
    #[test]
    fn tree_agrees_with_linear_scan() {
        let mut x = 0x1234_5678_9abc_def0u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let w = x as u32;
            assert_eq!(lookup(w), lookup_linear(w), "word {w:#010x}");
        }
        for e in ENCODINGS {
            for k in 0..64u32 {
                let w = e.bits | (k.wrapping_mul(0x9e37_79b9) & !e.mask);
                assert_eq!(lookup(w), lookup_linear(w), "word {w:#010x} from {}", e.name);
            }
        }
    }
}
