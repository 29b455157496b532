//! ELF64 AArch64 executables (bare-metal programs, firmware): PT_LOAD segments at their
//! physical addresses (p_paddr), entry from the header.

use super::{Image, LoadError, Segment};
use goblin::elf::{header, program_header::PT_LOAD, Elf};

/// Whether `data` starts with the ELF magic.
pub fn is_elf(data: &[u8]) -> bool {
    data.len() >= 4 && &data[..4] == b"\x7fELF"
}

pub fn load(data: &[u8], path: &str) -> Result<Image, LoadError> {
    if data.is_empty() {
        return Err(LoadError::Empty(path.to_string()));
    }
    if !is_elf(data) {
        return Err(LoadError::NotElf(path.to_string()));
    }
    let malformed = |why: String| LoadError::Malformed { path: path.to_string(), why };
    // Check the identification bytes ourselves first, so the error names the real problem.
    if data.len() < header::SIZEOF_IDENT {
        return Err(malformed("truncated ELF identification".into()));
    }
    if data[header::EI_CLASS] != header::ELFCLASS64 {
        return Err(LoadError::Unsupported { path: path.to_string(), why: "32-bit ELF; AArch64 images are ELF64".into() });
    }
    if data[header::EI_DATA] != header::ELFDATA2LSB {
        return Err(LoadError::Unsupported { path: path.to_string(), why: "big-endian ELF is not supported".into() });
    }
    if data.len() < 64 {
        return Err(malformed("truncated ELF header".into()));
    }
    let machine = u16::from_le_bytes([data[18], data[19]]);
    if machine != header::EM_AARCH64 {
        return Err(LoadError::WrongMachine { path: path.to_string(), machine: header::machine_to_str(machine).to_string() });
    }
    let elf = Elf::parse(data).map_err(|e| malformed(e.to_string()))?;
    if elf.header.e_type != header::ET_EXEC && elf.header.e_type != header::ET_DYN {
        return Err(LoadError::Unsupported {
            path: path.to_string(),
            why: format!("ELF type {} is not an executable", header::et_to_str(elf.header.e_type)),
        });
    }
    let mut segments = Vec::new();
    for ph in elf.program_headers.iter().filter(|p| p.p_type == PT_LOAD) {
        let off = ph.p_offset as usize;
        let size = ph.p_filesz as usize;
        let end = off.checked_add(size).filter(|&e| e <= data.len()).ok_or_else(|| {
            malformed(format!("segment at offset {:#x} size {:#x} extends past the end of the file", ph.p_offset, ph.p_filesz))
        })?;
        if ph.p_memsz < ph.p_filesz {
            return Err(malformed(format!("segment at {:#x} has memsz < filesz", ph.p_paddr)));
        }
        if ph.p_memsz == 0 {
            continue;
        }
        segments.push(Segment { addr: ph.p_paddr, data: data[off..end].to_vec(), mem_size: ph.p_memsz });
    }
    if segments.is_empty() {
        return Err(malformed("no loadable segment".into()));
    }
    Ok(Image { segments, entry: elf.header.e_entry })
}
