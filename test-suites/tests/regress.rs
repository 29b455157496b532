//! Replays every `regress/*.ins` case (minimised QEMU-vs-lsemu mismatches, with QEMU's
//! outputs recorded in the file) on lsemu. Needs no QEMU.

#[test]
fn regress_replay() {
    let dir = test_suites::regress::regress_dir();
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(d) => d.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "ins")).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    let mut failed = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let (c, q, epilogue) = match test_suites::regress::parse(&text) {
            Ok(x) => x,
            Err(e) => {
                failed.push(format!("{}: parse error: {e}", f.display()));
                continue;
            }
        };
        let d = test_suites::regress::replay(&c, &q, epilogue);
        if !d.is_empty() {
            failed.push(format!("{}:\n    {}", f.display(), d.join("\n    ")));
        }
    }
    println!("replayed {} regress cases, {} failed", files.len(), failed.len());
    assert!(failed.is_empty(), "regress cases failing:\n{}", failed.join("\n"));
}

/// The `.ins` format round-trips.
#[test]
fn ins_format_roundtrip() {
    use test_suites::diff::*;
    let mut rng = test_suites::gen::Rng::new(3);
    let c = test_suites::gen::random_case(&mut rng, &[], &test_suites::gen::GenOpts { groups: vec![], aligned: true, max_len: 4 });
    let c = Case { insns: vec![0x9100_0400, 0xd420_0000], ..c };
    let q = Outcome { fault: Some(Fault { index: 1, signal: Signal::Trap }), regs: c.regs.clone(), scratch: c.scratch.clone(), error: None };
    let text = test_suites::regress::render(&c, &q, 0x400c54, "test");
    let (c2, q2, e) = test_suites::regress::parse(&text).unwrap();
    assert_eq!((c2, q2, e), (c, q, 0x400c54));
}
