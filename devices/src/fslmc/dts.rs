//! A small device-tree *source* reader for DPLs: the subset of the DTS language NXP's
//! data-path layouts use (nodes, `label:`s, string / string-list / `<cells>` / `[bytes]`
//! properties, `&label` phandle and path references, `/dts-v1/;`, `/memreserve/`, repeated
//! node blocks merged as dtc merges them, C and C++ comments). Values become the same
//! bytes dtc would put in the blob, so a `.dts` and its compiled `.dtb` give the same tree.
//! Not supported (one clear error): `#include`/`/include/` (they need the C preprocessor),
//! cell expressions `( … )`, `/delete-node/`, `/bits/` sizes other than 32.

/// A node with raw property values (big-endian cells, NUL-terminated strings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawNode {
    pub name: String,
    pub props: Vec<(String, Vec<u8>)>,
    pub children: Vec<RawNode>,
}

impl RawNode {
    pub fn prop(&self, name: &str) -> Option<&[u8]> {
        self.props.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
    }
    pub fn child(&self, name: &str) -> Option<&RawNode> {
        self.children.iter().find(|c| c.name == name)
    }
    fn set_prop(&mut self, name: &str, v: Vec<u8>) {
        match self.props.iter_mut().find(|(n, _)| n == name) {
            Some(p) => p.1 = v,
            None => self.props.push((name.to_string(), v)),
        }
    }
    /// dtc semantics: a node defined twice is one node with the properties of both (the
    /// later value wins) and the children of both.
    fn merge(&mut self, other: RawNode) {
        for (n, v) in other.props {
            self.set_prop(&n, v);
        }
        for c in other.children {
            match self.children.iter_mut().find(|x| x.name == c.name) {
                Some(x) => x.merge(c),
                None => self.children.push(c),
            }
        }
    }
}

/// Reads a flattened device tree (Devicetree Specification v0.4 §5: a big-endian header,
/// a structure block of BEGIN_NODE 1 / END_NODE 2 / PROP 3 / NOP 4 / END 9 tokens, a
/// strings block) into a [`RawNode`] tree. Every offset and length is checked against the
/// blob, so a damaged file is an error, never a panic. (The `fdt` crate, used before,
/// panics on some damaged blobs: found by the `dpl_parse` fuzz target.)
pub fn from_dtb(blob: &[u8]) -> Result<RawNode, String> {
    let bad = |what: &str| format!("not a valid device tree blob: {what}");
    let be32 = |off: usize| -> Option<u32> { blob.get(off..off.checked_add(4)?).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])) };
    let hdr = |i: usize| be32(i * 4).ok_or_else(|| bad("truncated header"));
    if hdr(0)? != 0xd00d_feed {
        return Err(bad("bad magic"));
    }
    let total = hdr(1)? as usize;
    let (off_struct, off_strings) = (hdr(2)? as usize, hdr(3)? as usize);
    let (version, last_comp) = (hdr(5)?, hdr(6)?);
    let (size_strings, size_struct) = (hdr(8)? as usize, hdr(9)? as usize);
    if total > blob.len() || total < 40 {
        return Err(bad("total size does not match the file"));
    }
    if version < 16 || last_comp > 17 {
        return Err(bad(&format!("version {version} (compatible with {last_comp}) is not 16 or 17")));
    }
    let in_blob = |off: usize, len: usize| off.checked_add(len).is_some_and(|e| e <= total);
    if !in_blob(off_struct, size_struct) || !in_blob(off_strings, size_strings) {
        return Err(bad("a block lies outside the blob"));
    }
    let st = &blob[off_struct..off_struct + size_struct];
    let strings = &blob[off_strings..off_strings + size_strings];
    let tok = |pos: usize| -> Result<u32, String> {
        st.get(pos..pos + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])).ok_or_else(|| bad("structure block ends early"))
    };
    let cstr = |data: &[u8], at: usize| -> Result<String, String> {
        let rest = data.get(at..).ok_or_else(|| bad("string offset outside its block"))?;
        let end = rest.iter().position(|&c| c == 0).ok_or_else(|| bad("unterminated string"))?;
        Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
    };
    let align = |x: usize| (x + 3) & !3;
    let mut pos = 0;
    // Leading NOPs, then the root node.
    while tok(pos)? == 4 {
        pos += 4;
    }
    if tok(pos)? != 1 {
        return Err(bad("no root node"));
    }
    let mut stack: Vec<RawNode> = Vec::new();
    loop {
        let t = tok(pos)?;
        pos += 4;
        match t {
            1 => {
                if stack.len() > 64 {
                    return Err("device tree nested more than 64 levels".into());
                }
                let name = cstr(st, pos)?;
                pos = align(pos + name.len() + 1);
                stack.push(RawNode { name: if stack.is_empty() { String::new() } else { name }, ..Default::default() });
            }
            2 => {
                let n = stack.pop().ok_or_else(|| bad("END_NODE without a node"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(n),
                    None => return Ok(n),
                }
            }
            3 => {
                let len = tok(pos)? as usize;
                let nameoff = tok(pos + 4)? as usize;
                pos += 8;
                let val = st.get(pos..pos.checked_add(len).ok_or_else(|| bad("property too long"))?).ok_or_else(|| bad("property value outside the structure block"))?;
                let name = cstr(strings, nameoff)?;
                let node = stack.last_mut().ok_or_else(|| bad("property outside a node"))?;
                node.props.push((name, val.to_vec()));
                pos = align(pos + len);
            }
            4 => {}
            9 => return Err(bad("END before the root node closed")),
            other => return Err(bad(&format!("unknown token {other:#x}"))),
        }
    }
}

enum Piece {
    Bytes(Vec<u8>),
    Phandle(String),
    Path(String),
}

struct PNode {
    name: String,
    labels: Vec<String>,
    props: Vec<(String, Vec<Piece>)>,
    children: Vec<PNode>,
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

fn is_name(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b",._+*#?@-".contains(&c)
}

impl<'a> Parser<'a> {
    fn line(&self) -> usize {
        1 + self.s[..self.i.min(self.s.len())].iter().filter(|&&c| c == b'\n').count()
    }
    fn err<T>(&self, msg: impl std::fmt::Display) -> Result<T, String> {
        Err(format!("line {}: {msg}", self.line()))
    }
    fn rest(&self) -> &[u8] {
        self.s.get(self.i..).unwrap_or(&[])
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn ws(&mut self) -> Result<(), String> {
        loop {
            match self.peek() {
                Some(c) if c.is_ascii_whitespace() => self.i += 1,
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'/') => {
                    while let Some(c) = self.peek() {
                        if c == b'\n' {
                            break;
                        }
                        self.i += 1;
                    }
                }
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'*') => {
                    let start = self.i;
                    self.i += 2;
                    loop {
                        match self.peek() {
                            None => {
                                self.i = start;
                                return self.err("unterminated comment");
                            }
                            Some(b'*') if self.s.get(self.i + 1) == Some(&b'/') => {
                                self.i += 2;
                                break;
                            }
                            _ => self.i += 1,
                        }
                    }
                }
                Some(b'#') if self.rest().starts_with(b"#include") => {
                    return self.err("#include needs the C preprocessor; give the preprocessed DPL (or its .dtb)")
                }
                _ => return Ok(()),
            }
        }
    }
    fn eat(&mut self, c: u8) -> Result<bool, String> {
        self.ws()?;
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }
    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c)? {
            Ok(())
        } else {
            let got = self.peek().map(|b| format!("'{}'", b as char)).unwrap_or_else(|| "end of file".into());
            self.err(format!("expected '{}', found {got}", c as char))
        }
    }
    fn name(&mut self) -> Result<String, String> {
        self.ws()?;
        let st = self.i;
        while self.peek().is_some_and(is_name) {
            self.i += 1;
        }
        if st == self.i {
            let got = self.peek().map(|b| format!("'{}'", b as char)).unwrap_or_else(|| "end of file".into());
            return self.err(format!("expected a node or property name, found {got}"));
        }
        Ok(String::from_utf8_lossy(&self.s[st..self.i]).into_owned())
    }
    fn keyword(&mut self, kw: &str) -> Result<bool, String> {
        self.ws()?;
        if self.rest().starts_with(kw.as_bytes()) {
            self.i += kw.len();
            Ok(true)
        } else {
            Ok(false)
        }
    }
    fn number(&mut self) -> Result<u64, String> {
        self.ws()?;
        let st = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
            self.i += 1;
        }
        let t = std::str::from_utf8(&self.s[st..self.i]).unwrap_or("");
        let t = t.trim_end_matches(['U', 'L', 'u', 'l']);
        let r = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            u64::from_str_radix(h, 16)
        } else if t.len() > 1 && t.starts_with('0') {
            u64::from_str_radix(&t[1..], 8)
        } else {
            t.parse()
        };
        match r {
            Ok(v) => Ok(v),
            Err(_) => {
                self.i = st;
                self.err(format!("'{t}' is not a number"))
            }
        }
    }
    fn string(&mut self) -> Result<Vec<u8>, String> {
        // after the opening quote
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\n') => return self.err("unterminated string"),
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self.peek().ok_or_else(|| format!("line {}: unterminated string", self.line()))?;
                    self.i += 1;
                    out.push(match c {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'0' => 0,
                        b'\\' => b'\\',
                        b'"' => b'"',
                        other => other,
                    });
                }
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
        out.push(0);
        Ok(out)
    }
    fn value(&mut self, pieces: &mut Vec<Piece>) -> Result<(), String> {
        self.ws()?;
        let mut bits = 32;
        if self.keyword("/bits/")? {
            bits = self.number()?;
            if bits != 32 && bits != 8 && bits != 16 && bits != 64 {
                return self.err(format!("/bits/ {bits} is not 8, 16, 32 or 64"));
            }
            self.ws()?;
        }
        match self.peek() {
            Some(b'"') => {
                self.i += 1;
                let s = self.string()?;
                pieces.push(Piece::Bytes(s));
            }
            Some(b'<') => {
                self.i += 1;
                loop {
                    self.ws()?;
                    match self.peek() {
                        Some(b'>') => {
                            self.i += 1;
                            break;
                        }
                        Some(b'&') => {
                            self.i += 1;
                            let l = self.name()?;
                            if bits != 32 {
                                return self.err("a phandle reference needs 32-bit cells");
                            }
                            pieces.push(Piece::Phandle(l));
                        }
                        Some(b'(') => return self.err("cell expressions '( … )' are not supported in a DPL"),
                        Some(b'\'') => {
                            self.i += 1;
                            let Some(c) = self.peek() else { return self.err("unterminated character literal") };
                            let c = c as u64;
                            self.i += 1;
                            self.expect(b'\'')?;
                            push_cell(pieces, c, bits);
                        }
                        Some(c) if c.is_ascii_digit() => {
                            let v = self.number()?;
                            if bits < 64 && v >> bits != 0 {
                                return self.err(format!("{v:#x} does not fit in {bits} bits"));
                            }
                            push_cell(pieces, v, bits);
                        }
                        Some(c) => return self.err(format!("unexpected '{}' in a cell list", c as char)),
                        None => return self.err("unterminated cell list"),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    self.ws()?;
                    match self.peek() {
                        Some(b']') => {
                            self.i += 1;
                            break;
                        }
                        Some(c) if c.is_ascii_hexdigit() => {
                            let hi = c;
                            let lo = self.s.get(self.i + 1).copied().unwrap_or(b' ');
                            if !lo.is_ascii_hexdigit() {
                                return self.err("byte strings take two hex digits per byte");
                            }
                            self.i += 2;
                            let h = |d: u8| (d as char).to_digit(16).unwrap_or(0) as u8;
                            out.push(h(hi) << 4 | h(lo));
                        }
                        _ => return self.err("bad byte string"),
                    }
                }
                pieces.push(Piece::Bytes(out));
            }
            Some(b'&') => {
                self.i += 1;
                let l = self.name()?;
                pieces.push(Piece::Path(l));
            }
            _ => return self.err("expected a property value (\"string\", <cells>, [bytes] or &label)"),
        }
        Ok(())
    }
    /// After the node name: `{ … };`
    fn node_body(&mut self, name: String, labels: Vec<String>, depth: usize) -> Result<PNode, String> {
        if depth > 64 {
            return self.err("nodes nested more than 64 levels");
        }
        self.expect(b'{')?;
        let mut n = PNode { name, labels, props: Vec::new(), children: Vec::new() };
        loop {
            self.ws()?;
            if self.peek() == Some(b'}') {
                self.i += 1;
                self.expect(b';')?;
                return Ok(n);
            }
            if self.peek().is_none() {
                return self.err(format!("node '{}' is not closed", if n.name.is_empty() { "/" } else { &n.name }));
            }
            if self.keyword("/delete-node/")? || self.keyword("/delete-property/")? {
                return self.err("/delete-node/ and /delete-property/ are not supported in a DPL");
            }
            let mut labels = Vec::new();
            let mut nm = self.name()?;
            while self.eat(b':')? {
                labels.push(nm);
                nm = self.name()?;
            }
            self.ws()?;
            match self.peek() {
                Some(b'{') => {
                    let c = self.node_body(nm, labels, depth + 1)?;
                    n.children.push(c);
                }
                Some(b'=') => {
                    self.i += 1;
                    let mut pieces = Vec::new();
                    loop {
                        self.value(&mut pieces)?;
                        if !self.eat(b',')? {
                            break;
                        }
                    }
                    self.expect(b';')?;
                    n.props.push((nm, pieces));
                }
                Some(b';') => {
                    self.i += 1;
                    n.props.push((nm, Vec::new()));
                }
                _ => return self.err(format!("expected '{{', '=' or ';' after '{nm}'")),
            }
        }
    }
}

fn push_cell(pieces: &mut Vec<Piece>, v: u64, bits: u64) {
    let b = v.to_be_bytes();
    let bytes = &b[8 - (bits as usize / 8)..];
    match pieces.last_mut() {
        Some(Piece::Bytes(x)) => x.extend_from_slice(bytes),
        _ => pieces.push(Piece::Bytes(bytes.to_vec())),
    }
}

/// Parses DTS source into a tree (root node has an empty name).
pub fn parse_dts(src: &str) -> Result<RawNode, String> {
    let mut p = Parser { s: src.as_bytes(), i: 0 };
    let mut roots: Vec<PNode> = Vec::new();
    loop {
        p.ws()?;
        if p.peek().is_none() {
            break;
        }
        if p.keyword("/dts-v1/")? {
            p.expect(b';')?;
            continue;
        }
        if p.keyword("/plugin/")? {
            return p.err("device-tree overlays (/plugin/) are not DPLs");
        }
        if p.keyword("/include/")? {
            return p.err("/include/ is not supported: give the DPL as one file (or its .dtb)");
        }
        if p.keyword("/memreserve/")? {
            p.number()?;
            p.number()?;
            p.expect(b';')?;
            continue;
        }
        if p.peek() == Some(b'/') {
            p.i += 1;
            let n = p.node_body(String::new(), Vec::new(), 0)?;
            roots.push(n);
            continue;
        }
        if p.peek() == Some(b'&') {
            return p.err("node references at top level (&label { … }) are not supported in a DPL");
        }
        return p.err("expected '/dts-v1/;' or a root node '/ { … };'");
    }
    if roots.is_empty() {
        return Err("no root node '/ { … };'".into());
    }
    // Labels → paths, phandles for referenced labels.
    let mut labels: Vec<(String, String)> = Vec::new();
    fn collect(n: &PNode, path: &str, out: &mut Vec<(String, String)>) {
        for l in &n.labels {
            out.push((l.clone(), path.to_string()));
        }
        for c in &n.children {
            let p = if path == "/" { format!("/{}", c.name) } else { format!("{path}/{}", c.name) };
            collect(c, &p, out);
        }
    }
    for r in &roots {
        collect(r, "/", &mut labels);
    }
    let mut phandles: Vec<(String, u32)> = Vec::new(); // path → phandle
    let mut resolve = |pieces: Vec<Piece>| -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        for pc in pieces {
            match pc {
                Piece::Bytes(b) => out.extend(b),
                Piece::Path(l) | Piece::Phandle(l) if !labels.iter().any(|(x, _)| *x == l) => {
                    return Err(format!("reference to undefined label '&{l}'"));
                }
                Piece::Path(l) => {
                    let path = &labels.iter().find(|(x, _)| *x == l).map(|x| x.1.clone()).unwrap_or_default();
                    out.extend(path.as_bytes());
                    out.push(0);
                }
                Piece::Phandle(l) => {
                    let path = labels.iter().find(|(x, _)| *x == l).map(|x| x.1.clone()).unwrap_or_default();
                    let ph = match phandles.iter().find(|(p, _)| *p == path) {
                        Some((_, ph)) => *ph,
                        None => {
                            let ph = phandles.len() as u32 + 1;
                            phandles.push((path, ph));
                            ph
                        }
                    };
                    out.extend(ph.to_be_bytes());
                }
            }
        }
        Ok(out)
    };
    fn conv(n: PNode, resolve: &mut dyn FnMut(Vec<Piece>) -> Result<Vec<u8>, String>) -> Result<RawNode, String> {
        let mut r = RawNode { name: n.name, ..Default::default() };
        for (name, pieces) in n.props {
            let v = resolve(pieces)?;
            r.set_prop(&name, v);
        }
        for c in n.children {
            let c = conv(c, resolve)?;
            match r.children.iter_mut().find(|x| x.name == c.name) {
                Some(x) => x.merge(c),
                None => r.children.push(c),
            }
        }
        Ok(r)
    }
    let mut root = RawNode::default();
    for r in roots {
        let c = conv(r, &mut resolve)?;
        root.merge(c);
    }
    for (path, ph) in phandles {
        let mut n = &mut root;
        for part in path.split('/').filter(|s| !s.is_empty()) {
            let Some(i) = n.children.iter().position(|c| c.name == part) else { break };
            n = &mut n.children[i];
        }
        if n.prop("phandle").is_none() {
            n.set_prop("phandle", ph.to_be_bytes().to_vec());
        }
    }
    Ok(root)
}
