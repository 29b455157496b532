//! `a64-meta` reads the A64 encoding tables (`cpu-aarch64/isa/*.decode`) and generates
//! Rust source: the `Insn` type (one enum per group, one variant per encoding), the
//! `ENCODINGS` table and the constructor that extracts fields. It is a build-time
//! dependency of `cpu-aarch64` only and must not depend on any other lsemu crate.
//!
//! # Table syntax
//! ```text
//! # comment
//! ADD_imm   sf:1 0 0 100010 sh:1 imm12:12 rn:5 rd:5     feat=base asm=add
//! {                       # a priority block: the first line that matches wins
//!   MOV_alias  ...
//!   ORR_reg    ...
//! }
//! ```
//! A line is a name, then pattern tokens, then `key=value` attributes. A pattern token is
//! either a run of fixed bits (`0`, `1`, or `x` for a bit that is ignored) or a field
//! `name:width`. Widths add up to 32, most significant bit first. A field name used twice
//! is concatenated (first occurrence most significant), as in ADR's `immhi`/`immlo` when
//! both are named `imm`. Attributes:
//! - `feat=NAME` the architectural feature (base, fp, simd, crc, aes, sha1, sha2, pmull).
//! - `asm=MNEMONIC` the preferred mnemonic (before aliasing) for disassembly and tests.
//! - `not=f:v,f:v` the line does not match when any listed field has that value
//!   (`f:v` with `v` in binary when written `0b…`, else decimal).
//! - `notmask=MASK:VAL` (hex) the line does not match when `word & MASK == VAL`.
//!
//! Names starting with `UNALLOC_` mark deliberate holes: they decode as UNDEFINED.
//! Two lines that can match the same word must be in one priority block, or the
//! generator stops with an error naming both lines.

use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSlice {
    /// Least significant bit position in the instruction word.
    pub lo: u32,
    pub width: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    /// Slices, most significant first.
    pub slices: Vec<FieldSlice>,
}

impl Field {
    pub fn width(&self) -> u32 {
        self.slices.iter().map(|s| s.width).sum()
    }
}

#[derive(Debug, Clone)]
pub struct Encoding {
    pub name: String,
    pub group: String,
    pub file: String,
    pub line: usize,
    pub mask: u32,
    pub bits: u32,
    pub fields: Vec<Field>,
    pub feat: String,
    pub asm: String,
    /// (field index, value) pairs that exclude a match.
    pub not: Vec<(usize, u32)>,
    pub notmask: Vec<(u32, u32)>,
    /// Priority block id (unique across all files), if any.
    pub block: Option<u32>,
}

impl Encoding {
    pub fn is_unalloc(&self) -> bool {
        self.name.starts_with("UNALLOC_")
    }
    pub fn variant(&self) -> String {
        camel(&self.name)
    }
}

#[derive(Debug)]
pub struct Table {
    pub encodings: Vec<Encoding>,
    pub groups: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Error {}

/// Converts `ADD_imm` / `dp_imm` to `AddImm` / `DpImm`.
pub fn camel(s: &str) -> String {
    let mut out = String::new();
    for part in s.split(|c: char| c == '_' || c == '.' || c == '-') {
        let mut cs = part.chars();
        if let Some(c) = cs.next() {
            out.extend(c.to_uppercase());
            out.extend(cs.flat_map(|c| c.to_lowercase()));
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'I');
    }
    out
}

fn parse_value(s: &str) -> Option<u32> {
    if let Some(b) = s.strip_prefix("0b") {
        u32::from_str_radix(b, 2).ok()
    } else if let Some(h) = s.strip_prefix("0x") {
        u32::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    }
}

/// Parses one table file. `group` is the file's stem; `block_base` makes block ids unique.
pub fn parse_file(file: &str, group: &str, text: &str, block_base: &mut u32) -> Result<Vec<Encoding>, Error> {
    let mut out = Vec::new();
    let mut block: Option<u32> = None;
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        let err = |m: String| Error(format!("{file}:{lineno}: {m}"));
        if line == "{" {
            if block.is_some() {
                return Err(err("nested priority blocks are not allowed".into()));
            }
            *block_base += 1;
            block = Some(*block_base);
            continue;
        }
        if line == "}" {
            if block.take().is_none() {
                return Err(err("'}' without an open priority block".into()));
            }
            continue;
        }
        let mut toks = line.split_whitespace();
        let name = toks.next().unwrap().to_string();
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            || !name.starts_with(|c: char| c.is_ascii_alphabetic())
        {
            return Err(err(format!("bad encoding name '{name}'")));
        }
        let mut mask = 0u32;
        let mut bits = 0u32;
        let mut pos: i32 = 32;
        let mut fields: Vec<Field> = Vec::new();
        let mut feat = String::from("base");
        let mut asm = String::new();
        let mut not_raw: Vec<(String, u32)> = Vec::new();
        let mut notmask = Vec::new();
        for t in toks {
            if let Some((k, v)) = t.split_once('=') {
                match k {
                    "feat" => feat = v.to_string(),
                    "asm" => asm = v.to_string(),
                    "not" => {
                        for item in v.split(',') {
                            let (f, val) = item
                                .split_once(':')
                                .ok_or_else(|| err(format!("bad not= item '{item}'")))?;
                            let val = parse_value(val).ok_or_else(|| err(format!("bad value in not= item '{item}'")))?;
                            not_raw.push((f.to_string(), val));
                        }
                    }
                    "notmask" => {
                        let (m, val) = v.split_once(':').ok_or_else(|| err(format!("bad notmask '{v}'")))?;
                        let m = u32::from_str_radix(m.trim_start_matches("0x"), 16)
                            .map_err(|_| err(format!("bad notmask '{v}'")))?;
                        let val = u32::from_str_radix(val.trim_start_matches("0x"), 16)
                            .map_err(|_| err(format!("bad notmask '{v}'")))?;
                        if val & !m != 0 {
                            return Err(err(format!("notmask value has bits outside the mask '{v}'")));
                        }
                        notmask.push((m, val));
                    }
                    _ => return Err(err(format!("unknown attribute '{k}'"))),
                }
                continue;
            }
            if let Some((fname, w)) = t.split_once(':') {
                let width: u32 = w.parse().map_err(|_| err(format!("bad field width in '{t}'")))?;
                if width == 0 || width > 32 {
                    return Err(err(format!("bad field width in '{t}'")));
                }
                if fname.is_empty() || !fname.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(err(format!("bad field name in '{t}'")));
                }
                pos -= width as i32;
                if pos < 0 {
                    return Err(err(format!("pattern is longer than 32 bits at '{t}'")));
                }
                let slice = FieldSlice { lo: pos as u32, width };
                if let Some(f) = fields.iter_mut().find(|f| f.name == fname) {
                    f.slices.push(slice);
                } else {
                    fields.push(Field { name: fname.to_string(), slices: vec![slice] });
                }
                continue;
            }
            for c in t.chars() {
                pos -= 1;
                if pos < 0 {
                    return Err(err(format!("pattern is longer than 32 bits at '{t}'")));
                }
                match c {
                    '0' => mask |= 1 << pos,
                    '1' => {
                        mask |= 1 << pos;
                        bits |= 1 << pos
                    }
                    'x' => {}
                    _ => return Err(err(format!("bad pattern character '{c}' in '{t}'"))),
                }
            }
        }
        if pos != 0 {
            return Err(err(format!("pattern has {} bits, not 32", 32 - pos)));
        }
        for f in &fields {
            if f.width() > 32 {
                return Err(err(format!("field '{}' is wider than 32 bits", f.name)));
            }
        }
        let mut not = Vec::new();
        for (f, v) in not_raw {
            let idx = fields
                .iter()
                .position(|x| x.name == f)
                .ok_or_else(|| err(format!("not= names unknown field '{f}'")))?;
            if fields[idx].width() < 32 && v >> fields[idx].width() != 0 {
                return Err(err(format!("not= value {v} does not fit field '{f}'")));
            }
            not.push((idx, v));
        }
        if asm.is_empty() {
            asm = name.split('_').next().unwrap().to_ascii_lowercase();
        }
        out.push(Encoding {
            name,
            group: group.to_string(),
            file: file.to_string(),
            line: lineno,
            mask,
            bits,
            fields,
            feat,
            asm,
            not,
            notmask,
            block,
        });
    }
    if block.is_some() {
        return Err(Error(format!("{file}: priority block not closed at end of file")));
    }
    Ok(out)
}

/// Parses all files (name, text) and checks the whole table.
pub fn parse_all(files: &[(String, String)]) -> Result<Table, Error> {
    let mut encodings = Vec::new();
    let mut groups = Vec::new();
    let mut block_base = 0;
    for (path, text) in files {
        let stem = std::path::Path::new(path)
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| Error(format!("{path}: bad file name")))?
            .to_string();
        if !stem.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return Err(Error(format!("{path}: group file names must be lower_snake_case")));
        }
        let file = std::path::Path::new(path).file_name().unwrap().to_string_lossy().to_string();
        encodings.extend(parse_file(&file, &stem, text, &mut block_base)?);
        groups.push(stem);
    }
    check(&encodings)?;
    Ok(Table { encodings, groups })
}

fn check(encs: &[Encoding]) -> Result<(), Error> {
    // Variant names must be unique within a group (each group is its own enum).
    let mut seen: BTreeMap<(String, String), &Encoding> = BTreeMap::new();
    for e in encs {
        if !e.is_unalloc() {
            if let Some(prev) = seen.insert((e.group.clone(), e.variant()), e) {
                return Err(Error(format!(
                    "{}:{}: encoding name '{}' clashes with '{}' at {}:{}",
                    e.file, e.line, e.name, prev.name, prev.file, prev.line
                )));
            }
        }
        // fields must not overlap fixed bits or each other
        let mut used = e.mask;
        for f in &e.fields {
            for s in &f.slices {
                let m = if s.width == 32 { u32::MAX } else { ((1u32 << s.width) - 1) << s.lo };
                if used & m != 0 {
                    return Err(Error(format!("{}:{}: field '{}' overlaps other bits", e.file, e.line, f.name)));
                }
                used |= m;
            }
        }
    }
    for (i, a) in encs.iter().enumerate() {
        for b in &encs[i + 1..] {
            if a.block.is_some() && a.block == b.block {
                continue;
            }
            let common = a.mask & b.mask;
            if (a.bits ^ b.bits) & common == 0 {
                return Err(Error(format!(
                    "{}:{}: {} overlaps {} ({}:{}); put both in one priority block",
                    b.file, b.line, b.name, a.name, a.file, a.line
                )));
            }
        }
    }
    Ok(())
}

fn extract_expr(f: &Field) -> String {
    let mut parts = Vec::new();
    let mut shift_acc = 0u32;
    for s in f.slices.iter().rev() {
        let m = if s.width == 32 { u32::MAX } else { (1u32 << s.width) - 1 };
        let e = format!("((w >> {}) & 0x{:x})", s.lo, m);
        parts.push(if shift_acc == 0 { e } else { format!("({e} << {shift_acc})") });
        shift_acc += s.width;
    }
    parts.join(" | ")
}

/// Generates the Rust source included by `cpu-aarch64/src/decode/mod.rs`.
pub fn generate(t: &Table) -> String {
    let mut o = String::new();
    o.push_str("// @generated by a64-meta from cpu-aarch64/isa/*.decode. Do not edit.\n\n");
    // group enums
    for g in &t.groups {
        let gname = camel(g);
        writeln!(o, "/// Encodings of table `{g}.decode`.").unwrap();
        o.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq)]\n#[allow(clippy::upper_case_acronyms)]\n");
        writeln!(o, "pub enum {gname} {{").unwrap();
        for e in t.encodings.iter().filter(|e| &e.group == g && !e.is_unalloc()) {
            if e.fields.is_empty() {
                writeln!(o, "    /// `{}` ({}:{})\n    {},", e.name, e.file, e.line, e.variant()).unwrap();
            } else {
                let fs: Vec<String> = e.fields.iter().map(|f| format!("{}: u32", f.name)).collect();
                writeln!(o, "    /// `{}` ({}:{})\n    {} {{ {} }},", e.name, e.file, e.line, e.variant(), fs.join(", "))
                    .unwrap();
            }
        }
        o.push_str("}\n\n");
    }
    o.push_str("/// A decoded A64 instruction.\n#[derive(Debug, Clone, Copy, PartialEq, Eq)]\npub enum Insn {\n");
    for g in &t.groups {
        writeln!(o, "    {}({}),", camel(g), camel(g)).unwrap();
    }
    o.push_str("    /// Unallocated or not implemented by a Cortex-A72: UNDEFINED.\n    Undefined(u32),\n}\n\n");
    // group ids
    o.push_str("/// Table groups, in file order.\npub static GROUPS: &[&str] = &[");
    for g in &t.groups {
        write!(o, "{g:?}, ").unwrap();
    }
    o.push_str("];\n\n");
    // ENCODINGS
    o.push_str("/// Every line of the encoding tables, in table order.\npub static ENCODINGS: &[Encoding] = &[\n");
    for e in &t.encodings {
        let fields: Vec<String> = e
            .fields
            .iter()
            .map(|f| {
                let sl: Vec<String> =
                    f.slices.iter().map(|s| format!("FieldSlice {{ lo: {}, width: {} }}", s.lo, s.width)).collect();
                format!("Field {{ name: {:?}, slices: &[{}] }}", f.name, sl.join(", "))
            })
            .collect();
        let not: Vec<String> = e.not.iter().map(|(i, v)| format!("({i}, {v})")).collect();
        let notmask: Vec<String> = e.notmask.iter().map(|(m, v)| format!("(0x{m:08x}, 0x{v:08x})")).collect();
        writeln!(
            o,
            "    Encoding {{ name: {:?}, group: {:?}, mask: 0x{:08x}, bits: 0x{:08x}, fields: &[{}], feat: {:?}, asm: {:?}, not: &[{}], notmask: &[{}], block: {}, source: \"{}:{}\" }},",
            e.name,
            e.group,
            e.mask,
            e.bits,
            fields.join(", "),
            e.feat,
            e.asm,
            not.join(", "),
            notmask.join(", "),
            match e.block { Some(b) => format!("Some({b})"), None => "None".into() },
            e.file,
            e.line
        )
        .unwrap();
    }
    o.push_str("];\n\n");
    // constructor
    o.push_str("/// Builds the `Insn` for encoding `idx` (an index into `ENCODINGS`) from word `w`.\n");
    o.push_str("#[inline]\n#[allow(clippy::identity_op, clippy::erasing_op)]\npub fn construct(idx: u16, w: u32) -> Insn {\n    match idx {\n");
    for (i, e) in t.encodings.iter().enumerate() {
        if e.is_unalloc() {
            writeln!(o, "        {i} => Insn::Undefined(w),").unwrap();
            continue;
        }
        let g = camel(&e.group);
        if e.fields.is_empty() {
            writeln!(o, "        {i} => Insn::{g}({g}::{}),", e.variant()).unwrap();
        } else {
            let fs: Vec<String> = e.fields.iter().map(|f| format!("{}: {}", f.name, extract_expr(f))).collect();
            writeln!(o, "        {i} => Insn::{g}({g}::{} {{ {} }}),", e.variant(), fs.join(", ")).unwrap();
        }
    }
    o.push_str("        _ => Insn::Undefined(w),\n    }\n}\n\n");
    // name()
    for g in &t.groups {
        let gname = camel(g);
        writeln!(o, "impl {gname} {{\n    /// The table name of the encoding.\n    pub fn name(&self) -> &'static str {{\n        match *self {{").unwrap();
        for e in t.encodings.iter().filter(|e| &e.group == g && !e.is_unalloc()) {
            let pat = if e.fields.is_empty() { String::new() } else { " { .. }".into() };
            writeln!(o, "            {gname}::{}{pat} => {:?},", e.variant(), e.name).unwrap();
        }
        o.push_str("        }\n    }\n}\n\n");
    }
    o.push_str("impl Insn {\n    /// The table name of the encoding (`\"UNDEFINED\"` for undefined words).\n    pub fn name(&self) -> &'static str {\n        match self {\n");
    for g in &t.groups {
        writeln!(o, "            Insn::{}(i) => i.name(),", camel(g)).unwrap();
    }
    o.push_str("            Insn::Undefined(_) => \"UNDEFINED\",\n        }\n    }\n}\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Result<Table, Error> {
        parse_all(&[("isa/test.decode".to_string(), text.to_string())])
    }

    #[test]
    fn parses_fields_and_fixed_bits() {
        let t = run("ADD_imm sf:1 0 0 100010 sh:1 imm12:12 rn:5 rd:5 asm=add\n").unwrap();
        let e = &t.encodings[0];
        assert_eq!(e.mask, 0x7f80_0000);
        assert_eq!(e.bits, 0x1100_0000);
        assert_eq!(e.fields.len(), 5);
        assert_eq!(e.fields[2].slices, vec![FieldSlice { lo: 10, width: 12 }]);
    }

    #[test]
    fn concatenates_repeated_fields() {
        let t = run("ADR 0 imm:2 10000 imm:19 rd:5\n").unwrap();
        let f = &t.encodings[0].fields[0];
        assert_eq!(f.slices, vec![FieldSlice { lo: 29, width: 2 }, FieldSlice { lo: 5, width: 19 }]);
        // immlo (bits 30:29) is the most significant part as written; the table author
        // orders slices as the architecture concatenates them.
        assert_eq!(extract_expr(f), "((w >> 5) & 0x7ffff) | (((w >> 29) & 0x3) << 19)");
    }

    #[test]
    fn errors_are_reported_with_location() {
        let cases = [
            ("A 0101\n", "test.decode:1: pattern has 4 bits, not 32"),
            ("A x:33\n", "test.decode:1: bad field width in 'x:33'"),
            ("A 2 x:31\n", "test.decode:1: bad pattern character '2' in '2'"),
            ("A x:32 foo=1\n", "test.decode:1: unknown attribute 'foo'"),
            ("A x:32\nB y:32\n", "test.decode:2: B overlaps A (test.decode:1); put both in one priority block"),
            ("A x:32\na x:32\n", "test.decode:2: encoding name 'a' clashes with 'A' at test.decode:1"),
            ("{\nA x:32\n", "test.decode: priority block not closed at end of file"),
            ("}\n", "test.decode:1: '}' without an open priority block"),
            ("A x:31 0 not=y:1\n", "test.decode:1: not= names unknown field 'y'"),
            ("A x:1 0000000000000000000000000000000\nB 1 y:31\n", "test.decode:2: B overlaps A (test.decode:1); put both in one priority block"),
        ];
        for (text, want) in cases {
            assert_eq!(run(text).unwrap_err().0, want, "table: {text:?}");
        }
    }

    #[test]
    fn priority_blocks_allow_overlap() {
        let t = run("{\nA 1 y:31\nB x:32\n}\n").unwrap();
        assert_eq!(t.encodings[0].block, t.encodings[1].block);
        assert!(t.encodings[0].block.is_some());
    }

    #[test]
    fn generated_source_snapshot() {
        let t = run("{\nNOP 11010101000000110010000000011111\nHINT 11010101000000110010 crm:4 op2:3 11111\n}\nADR 0 imm:2 10000 imm:19 rd:5\nUNALLOC_x 1111 x:28\n").unwrap();
        insta::assert_snapshot!(generate(&t));
    }
}
