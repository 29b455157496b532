//! A small flattened-device-tree editor: parse a DTB (Devicetree Specification v0.4,
//! chapter 5) into a tree of nodes and properties, change it, serialize it back.
//!
//! Why our own: the fix-up must edit an existing blob. The `fdt` crate only reads, and
//! `vm-fdt` only writes a tree from scratch; gluing them would still need a tree in the
//! middle and would not carry over the memory-reservation block. The format is small,
//! and the tests check this code against two independent implementations: `dtc` (a blob
//! that goes through parse → serialize decompiles to the same source) and the `fdt` crate
//! (reads back every property we set).
//!
//! Parsing checks every offset and length against the blob, limits the nesting depth,
//! and never panics on malformed input.

/// FDT header magic.
pub const MAGIC: u32 = 0xd00d_feed;
const FDT_BEGIN_NODE: u32 = 1;
const FDT_END_NODE: u32 = 2;
const FDT_PROP: u32 = 3;
const FDT_NOP: u32 = 4;
const FDT_END: u32 = 9;
/// Deepest node nesting accepted (real trees are < 10 deep).
pub const MAX_DEPTH: usize = 64;
const HEADER_LEN: usize = 40;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FdtError {
    #[error("not a flattened device tree (bad magic)")]
    BadMagic,
    #[error("malformed device tree: {0}")]
    Malformed(String),
    #[error("device tree version {0} is not supported (need 16 or 17)")]
    Version(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub name: String,
    pub value: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    /// Node name with unit address (`cpu@100`); empty for the root.
    pub name: String,
    pub props: Vec<Property>,
    pub children: Vec<Node>,
}

/// Encodes a string property value (NUL-terminated).
pub fn str_value(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// Encodes big-endian 32-bit cells.
pub fn cells(c: &[u32]) -> Vec<u8> {
    c.iter().flat_map(|x| x.to_be_bytes()).collect()
}

/// Encodes `v` as `n` cells (1 or 2), big-endian; `None` if it does not fit.
pub fn encode_number(v: u64, n: u32) -> Option<Vec<u8>> {
    match n {
        1 => u32::try_from(v).ok().map(|x| x.to_be_bytes().to_vec()),
        2 => Some(v.to_be_bytes().to_vec()),
        _ => None,
    }
}

impl Node {
    pub fn new(name: &str) -> Node {
        Node { name: name.to_string(), props: Vec::new(), children: Vec::new() }
    }

    pub fn prop(&self, name: &str) -> Option<&[u8]> {
        self.props.iter().find(|p| p.name == name).map(|p| p.value.as_slice())
    }

    /// A property as a string (up to its first NUL).
    pub fn prop_str(&self, name: &str) -> Option<&str> {
        let v = self.prop(name)?;
        let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
        std::str::from_utf8(&v[..end]).ok()
    }

    /// A one-cell property.
    pub fn prop_u32(&self, name: &str) -> Option<u32> {
        let v = self.prop(name)?;
        (v.len() == 4).then(|| u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
    }

    /// The strings of a string-list property (`compatible`).
    pub fn prop_strings(&self, name: &str) -> Vec<&str> {
        self.prop(name)
            .map(|v| v.split(|&b| b == 0).filter(|s| !s.is_empty()).filter_map(|s| std::str::from_utf8(s).ok()).collect())
            .unwrap_or_default()
    }

    pub fn is_compatible(&self, compat: &str) -> bool {
        self.prop_strings("compatible").contains(&compat)
    }

    /// Sets (replaces or appends) a property, keeping the order of existing ones.
    pub fn set_prop(&mut self, name: &str, value: Vec<u8>) {
        match self.props.iter_mut().find(|p| p.name == name) {
            Some(p) => p.value = value,
            None => self.props.push(Property { name: name.to_string(), value }),
        }
    }

    pub fn remove_prop(&mut self, name: &str) -> bool {
        let n = self.props.len();
        self.props.retain(|p| p.name != name);
        n != self.props.len()
    }

    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn child_mut(&mut self, name: &str) -> Option<&mut Node> {
        self.children.iter_mut().find(|c| c.name == name)
    }

    /// The child called `name`, created (empty, appended) if missing.
    pub fn child_or_insert(&mut self, name: &str) -> &mut Node {
        if let Some(i) = self.children.iter().position(|c| c.name == name) {
            &mut self.children[i]
        } else {
            self.children.push(Node::new(name));
            let last = self.children.len() - 1;
            &mut self.children[last]
        }
    }

    /// `phandle` (or the legacy `linux,phandle`).
    pub fn phandle(&self) -> Option<u32> {
        self.prop_u32("phandle").or_else(|| self.prop_u32("linux,phandle"))
    }

    /// Visits every node below and including this one, with its path.
    pub fn walk<'a>(&'a self, path: &str, f: &mut dyn FnMut(&str, &'a Node)) {
        f(path, self);
        for c in &self.children {
            let p = if path == "/" { format!("/{}", c.name) } else { format!("{path}/{}", c.name) };
            c.walk(&p, f);
        }
    }

    /// Like `walk`, mutably.
    pub fn walk_mut(&mut self, path: &str, f: &mut dyn FnMut(&str, &mut Node)) {
        f(path, self);
        for c in &mut self.children {
            let p = if path == "/" { format!("/{}", c.name) } else { format!("{path}/{}", c.name) };
            c.walk_mut(&p, f);
        }
    }
}

/// A whole device tree.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fdt {
    pub root: Node,
    /// The memory-reservation block: (address, size) pairs.
    pub mem_reserve: Vec<(u64, u64)>,
    pub boot_cpuid_phys: u32,
}

struct Reader<'a> {
    d: &'a [u8],
}

impl Reader<'_> {
    fn u32(&self, off: usize) -> Result<u32, FdtError> {
        off.checked_add(4)
            .and_then(|e| self.d.get(off..e))
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| FdtError::Malformed(format!("read past the end at {off:#x}")))
    }
    fn u64(&self, off: usize) -> Result<u64, FdtError> {
        Ok((self.u32(off)? as u64) << 32 | self.u32(off + 4)? as u64)
    }
}

fn cstr(d: &[u8], off: usize, what: &str) -> Result<String, FdtError> {
    let s = d.get(off..).ok_or_else(|| FdtError::Malformed(format!("{what} offset {off:#x} out of range")))?;
    let end = s.iter().position(|&b| b == 0).ok_or_else(|| FdtError::Malformed(format!("unterminated {what} at {off:#x}")))?;
    String::from_utf8(s[..end].to_vec()).map_err(|_| FdtError::Malformed(format!("{what} at {off:#x} is not UTF-8")))
}

fn align4(x: usize) -> usize {
    (x + 3) & !3
}

impl Fdt {
    pub fn parse(blob: &[u8]) -> Result<Fdt, FdtError> {
        let r = Reader { d: blob };
        if blob.len() < HEADER_LEN {
            return Err(if blob.len() >= 4 && r.u32(0)? != MAGIC { FdtError::BadMagic } else { FdtError::Malformed("truncated header".into()) });
        }
        if r.u32(0)? != MAGIC {
            return Err(FdtError::BadMagic);
        }
        let total = r.u32(4)? as usize;
        let off_struct = r.u32(8)? as usize;
        let off_strings = r.u32(12)? as usize;
        let off_rsv = r.u32(16)? as usize;
        let version = r.u32(20)?;
        let last_comp = r.u32(24)?;
        let boot_cpuid_phys = r.u32(28)?;
        let size_strings = r.u32(32)? as usize;
        if version < 16 || last_comp > 17 {
            return Err(FdtError::Version(version));
        }
        if total > blob.len() {
            return Err(FdtError::Malformed(format!("totalsize {total:#x} exceeds the {:#x}-byte blob", blob.len())));
        }
        let d = &blob[..total];
        let r = Reader { d };
        let strings = off_strings
            .checked_add(size_strings)
            .and_then(|e| d.get(off_strings..e))
            .ok_or_else(|| FdtError::Malformed("strings block out of range".into()))?;
        let struct_end = if version >= 17 {
            let size_struct = r.u32(36)? as usize;
            off_struct.checked_add(size_struct).filter(|&e| e <= total).ok_or_else(|| FdtError::Malformed("structure block out of range".into()))?
        } else {
            total
        };
        // Memory reservation block: pairs until (0, 0).
        let mut mem_reserve = Vec::new();
        let mut off = off_rsv;
        loop {
            let (a, s) = (r.u64(off)?, r.u64(off + 8)?);
            if a == 0 && s == 0 {
                break;
            }
            mem_reserve.push((a, s));
            off += 16;
        }
        // Structure block.
        let mut stack: Vec<Node> = Vec::new();
        let mut root: Option<Node> = None;
        let mut off = off_struct;
        loop {
            if off + 4 > struct_end {
                return Err(FdtError::Malformed("structure block ends without FDT_END".into()));
            }
            let tok = r.u32(off)?;
            off += 4;
            match tok {
                FDT_BEGIN_NODE => {
                    if root.is_some() {
                        return Err(FdtError::Malformed("node after the root node closed".into()));
                    }
                    if stack.len() >= MAX_DEPTH {
                        return Err(FdtError::Malformed("nodes nested too deep".into()));
                    }
                    let name = cstr(&d[..struct_end], off, "node name")?;
                    off = align4(off + name.len() + 1);
                    stack.push(Node::new(&name));
                }
                FDT_END_NODE => {
                    let n = stack.pop().ok_or_else(|| FdtError::Malformed("FDT_END_NODE without a node".into()))?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(n),
                        None => root = Some(n),
                    }
                }
                FDT_PROP => {
                    let len = r.u32(off)? as usize;
                    let nameoff = r.u32(off + 4)? as usize;
                    off += 8;
                    let value = off
                        .checked_add(len)
                        .filter(|&e| e <= struct_end)
                        .map(|e| d[off..e].to_vec())
                        .ok_or_else(|| FdtError::Malformed(format!("property value at {off:#x} past the structure block")))?;
                    off = align4(off + len);
                    let name = cstr(strings, nameoff, "property name")?;
                    let node = stack.last_mut().ok_or_else(|| FdtError::Malformed("property outside any node".into()))?;
                    node.props.push(Property { name, value });
                }
                FDT_NOP => {}
                FDT_END => break,
                t => return Err(FdtError::Malformed(format!("unknown token {t:#x} at {:#x}", off - 4))),
            }
        }
        if !stack.is_empty() {
            return Err(FdtError::Malformed("unclosed node at FDT_END".into()));
        }
        let root = root.ok_or_else(|| FdtError::Malformed("no root node".into()))?;
        Ok(Fdt { root, mem_reserve, boot_cpuid_phys })
    }

    /// Serializes as a version-17 blob: header, reservation block, structure, strings
    /// (each property name stored once).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut strings: Vec<u8> = Vec::new();
        let mut string_offs: std::collections::HashMap<String, u32> = Default::default();
        let mut st: Vec<u8> = Vec::new();
        fn put(v: &mut Vec<u8>, x: u32) {
            v.extend_from_slice(&x.to_be_bytes());
        }
        fn pad(v: &mut Vec<u8>) {
            while v.len() & 3 != 0 {
                v.push(0);
            }
        }
        fn emit(n: &Node, st: &mut Vec<u8>, strings: &mut Vec<u8>, offs: &mut std::collections::HashMap<String, u32>) {
            put(st, FDT_BEGIN_NODE);
            st.extend_from_slice(n.name.as_bytes());
            st.push(0);
            pad(st);
            for p in &n.props {
                let off = *offs.entry(p.name.clone()).or_insert_with(|| {
                    let o = strings.len() as u32;
                    strings.extend_from_slice(p.name.as_bytes());
                    strings.push(0);
                    o
                });
                put(st, FDT_PROP);
                put(st, p.value.len() as u32);
                put(st, off);
                st.extend_from_slice(&p.value);
                pad(st);
            }
            for c in &n.children {
                emit(c, st, strings, offs);
            }
            put(st, FDT_END_NODE);
        }
        emit(&self.root, &mut st, &mut strings, &mut string_offs);
        put(&mut st, FDT_END);

        let off_rsv = HEADER_LEN.next_multiple_of(8);
        let rsv_len = (self.mem_reserve.len() + 1) * 16;
        let off_struct = off_rsv + rsv_len;
        let off_strings = off_struct + st.len();
        let total = off_strings + strings.len();
        let mut out = Vec::with_capacity(total);
        for x in [MAGIC, total as u32, off_struct as u32, off_strings as u32, off_rsv as u32, 17, 16, self.boot_cpuid_phys, strings.len() as u32, st.len() as u32] {
            put(&mut out, x);
        }
        out.resize(off_rsv, 0);
        for &(a, s) in self.mem_reserve.iter().chain(std::iter::once(&(0, 0))) {
            out.extend_from_slice(&a.to_be_bytes());
            out.extend_from_slice(&s.to_be_bytes());
        }
        out.extend_from_slice(&st);
        out.extend_from_slice(&strings);
        out
    }

    /// The node at an absolute path (`/`, `/cpus/cpu@0`).
    pub fn node(&self, path: &str) -> Option<&Node> {
        let mut n = &self.root;
        for part in path.split('/').filter(|s| !s.is_empty()) {
            n = n.child(part)?;
        }
        Some(n)
    }

    pub fn node_mut(&mut self, path: &str) -> Option<&mut Node> {
        let mut n = &mut self.root;
        for part in path.split('/').filter(|s| !s.is_empty()) {
            n = n.child_mut(part)?;
        }
        Some(n)
    }

    /// Paths of the nodes for which `f` holds, in tree order.
    pub fn find_paths(&self, f: &dyn Fn(&Node) -> bool) -> Vec<String> {
        let mut v = Vec::new();
        self.root.walk("/", &mut |p, n| {
            if f(n) {
                v.push(p.to_string());
            }
        });
        v
    }

    /// The largest phandle in use (0 if none).
    pub fn max_phandle(&self) -> u32 {
        let mut m = 0;
        self.root.walk("/", &mut |_, n| m = m.max(n.phandle().unwrap_or(0)));
        m
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::process::Command;

    /// Compiles DTS source with `dtc`; `None` (test skipped) if dtc is not installed.
    pub(crate) fn dtc_compile(src: &str) -> Option<Vec<u8>> {
        use std::io::Write;
        let mut child = Command::new("dtc")
            .args(["-q", "-I", "dts", "-O", "dtb", "-o", "-", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .ok()?;
        child.stdin.take()?.write_all(src.as_bytes()).ok()?;
        let out = child.wait_with_output().ok()?;
        assert!(out.status.success(), "dtc failed to compile the test source");
        Some(out.stdout)
    }

    /// Decompiles a blob with `dtc` (the oracle for round trips).
    pub(crate) fn dtc_decompile(blob: &[u8]) -> Option<String> {
        use std::io::Write;
        let mut child = Command::new("dtc")
            .args(["-q", "-I", "dtb", "-O", "dts", "-o", "-", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .ok()?;
        child.stdin.take()?.write_all(blob).ok()?;
        let out = child.wait_with_output().ok()?;
        assert!(out.status.success(), "dtc rejected the blob");
        String::from_utf8(out.stdout).ok()
    }

    const SRC: &str = r#"/dts-v1/;
/memreserve/ 0x80000000 0x10000;
/ {
    #address-cells = <2>; #size-cells = <2>;
    compatible = "a,b", "c,d";
    empty;
    bytes = [01 02 03];
    n@1 { reg = <0 1 0 2>; label1: inner { x = "y"; phandle = <7>; }; };
    n@2 { ref = <&{/n@1/inner}>; };
};
"#;

    #[test]
    fn round_trip_matches_dtc() {
        let Some(blob) = dtc_compile(SRC) else {
            eprintln!("skipped: dtc not installed");
            return;
        };
        let t = Fdt::parse(&blob).unwrap();
        assert_eq!(t.mem_reserve, vec![(0x8000_0000, 0x10000)]);
        assert_eq!(t.node("/n@1/inner").unwrap().prop_str("x"), Some("y"));
        assert_eq!(t.root.prop_strings("compatible"), vec!["a,b", "c,d"]);
        assert_eq!(t.root.prop("empty"), Some(&[][..]));
        let out = t.to_bytes();
        assert_eq!(dtc_decompile(&out).unwrap(), dtc_decompile(&blob).unwrap());
        // Re-parsing our own output gives the same tree.
        assert_eq!(Fdt::parse(&out).unwrap(), t);
    }

    #[test]
    fn edits_are_seen_by_the_fdt_crate() {
        let Some(blob) = dtc_compile(SRC) else {
            eprintln!("skipped: dtc not installed");
            return;
        };
        let mut t = Fdt::parse(&blob).unwrap();
        t.root.child_or_insert("chosen").set_prop("bootargs", str_value("console=ttyS1"));
        t.node_mut("/n@1").unwrap().set_prop("reg", cells(&[0, 3, 0, 4]));
        assert!(!t.node_mut("/n@1").unwrap().remove_prop("nonexistent"));
        let out = t.to_bytes();
        let f = fdt::Fdt::new(&out).unwrap();
        assert_eq!(f.chosen().bootargs(), Some("console=ttyS1"));
        assert_eq!(f.find_node("/n@1").unwrap().property("reg").unwrap().value, &[0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4]);
        assert_eq!(f.find_phandle(7).unwrap().name, "inner");
        assert_eq!(t.max_phandle(), 7);
    }

    #[test]
    fn malformed_blobs_are_errors() {
        assert_eq!(Fdt::parse(b""), Err(FdtError::Malformed("truncated header".into())));
        assert_eq!(Fdt::parse(b"hello world, this is not a device tree at all"), Err(FdtError::BadMagic));
        let Some(blob) = dtc_compile(SRC) else { return };
        // Every truncation and every single-byte corruption either parses or errors.
        for n in 0..blob.len() {
            let _ = Fdt::parse(&blob[..n]);
        }
        for i in 0..blob.len() {
            for x in [0x00, 0xff, 0x09, 0x01] {
                let mut b = blob.clone();
                b[i] = x;
                let _ = Fdt::parse(&b);
            }
        }
        // Deep nesting is refused, not a stack overflow.
        let mut deep = String::from("/dts-v1/; / {");
        for i in 0..70 {
            deep += &format!("n{i} {{");
        }
        for _ in 0..70 {
            deep += "};";
        }
        deep += "};";
        let b = dtc_compile(&deep).unwrap();
        assert!(matches!(Fdt::parse(&b), Err(FdtError::Malformed(_))));
    }
}
