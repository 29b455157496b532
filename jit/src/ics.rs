//! Storage of the inline caches of register branches (`emit::Em::branch_ic`): 32-byte
//! records whose addresses translated code holds, so they never move. They used to be one
//! heap allocation each (`Box<[u64; 4]>`): a malloc per register branch translated, and
//! at exit tens of thousands of frees (2 ms of a 1-vCPU boot's exit). Here they are
//! carved out of chunks that are never moved nor freed before the `Jit`.

/// Records per chunk (32 KiB chunks).
const CHUNK: usize = 1024;

/// A record, aligned so that it never straddles two cache lines (translated code reads
/// it on every register branch).
#[derive(Clone, Copy, Default)]
#[repr(C, align(32))]
struct Rec([u64; 4]);

/// A stack of fixed-address `[u64; 4]` records, grown by `push`, cut by `truncate`
/// (which only forgets records: their chunks stay for the next pushes).
#[derive(Default)]
pub(crate) struct Ics {
    chunks: Vec<Box<[Rec]>>,
    len: usize,
}

impl Ics {
    /// Stores `v` in a new record and returns its address (valid until the `Ics` is
    /// dropped; its contents until `truncate` or `clear` forgets it and a later `push`
    /// reuses it).
    pub fn push(&mut self, v: [u64; 4]) -> *mut [u64; 4] {
        let (c, i) = (self.len / CHUNK, self.len % CHUNK);
        if c == self.chunks.len() {
            self.chunks.push(vec![Rec::default(); CHUNK].into_boxed_slice());
        }
        let r = &mut self.chunks[c][i].0;
        *r = v;
        self.len += 1;
        r as *mut [u64; 4]
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Forgets the records from index `n` on.
    pub fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }

    /// Forgets every record (the code holding their addresses is gone).
    pub fn clear(&mut self) {
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Addresses stay put across chunk growth; truncation reuses records in order;
    /// contents are what was pushed (expected values written out here).
    #[test]
    fn stable_addresses_and_reuse() {
        let mut s = Ics::default();
        let ptrs: Vec<*mut [u64; 4]> = (0..3 * CHUNK as u64 + 5).map(|i| s.push([i, i + 1, i + 2, i + 3])).collect();
        assert_eq!(s.len(), 3 * CHUNK + 5);
        for (i, &p) in ptrs.iter().enumerate() {
            let i = i as u64;
            // SAFETY: records live as long as `s`; nothing was truncated yet.
            assert_eq!(unsafe { *p }, [i, i + 1, i + 2, i + 3]);
        }
        // Distinct, consecutive within a chunk, each within one 64-byte line.
        assert_eq!(ptrs[1] as usize - ptrs[0] as usize, 32);
        assert!(ptrs.iter().all(|&p| p as usize % 32 == 0));
        let mut sorted: Vec<usize> = ptrs.iter().map(|&p| p as usize).collect();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ptrs.len());
        s.truncate(CHUNK + 1);
        assert_eq!(s.len(), CHUNK + 1);
        s.truncate(5 * CHUNK); // never grows
        assert_eq!(s.len(), CHUNK + 1);
        let p = s.push([9; 4]);
        assert_eq!(p, ptrs[CHUNK + 1], "the forgotten record is reused");
        // SAFETY: as above.
        assert_eq!(unsafe { *p }, [9; 4]);
        assert_eq!(unsafe { *ptrs[CHUNK] }, [CHUNK as u64, CHUNK as u64 + 1, CHUNK as u64 + 2, CHUNK as u64 + 3], "kept records untouched");
        s.clear();
        assert_eq!(s.len(), 0);
        assert_eq!(s.push([7; 4]), ptrs[0]);
    }
}
