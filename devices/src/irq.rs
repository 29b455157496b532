//! Interrupt lines. A device holds an `IrqLine`; the interrupt controller reads the levels
//! from the shared `IrqBank`. Lines can be created detached for unit tests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Levels of up to `64 * words` interrupt inputs.
#[derive(Debug)]
pub struct IrqBank {
    words: Vec<AtomicU64>,
    /// Incremented whenever a line changes level, so a consumer can tell whether a cached
    /// view of the levels is stale.
    generation: AtomicU64,
    /// Rising edges seen since the consumer last took them (so a short pulse between two
    /// samples is not lost for edge-triggered inputs).
    rose: Vec<AtomicU64>,
}

impl IrqBank {
    pub fn new(lines: usize) -> Arc<Self> {
        Arc::new(IrqBank {
            words: (0..lines.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(),
            generation: AtomicU64::new(0),
            rose: (0..lines.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(),
        })
    }
    pub fn level(&self, id: u32) -> bool {
        self.words
            .get(id as usize / 64)
            .is_some_and(|w| w.load(Ordering::Relaxed) >> (id % 64) & 1 == 1)
    }
    fn set(&self, id: u32, level: bool) {
        if let Some(w) = self.words.get(id as usize / 64) {
            let bit = 1u64 << (id % 64);
            let old = if level { w.fetch_or(bit, Ordering::Relaxed) } else { w.fetch_and(!bit, Ordering::Relaxed) };
            if (old & bit != 0) != level {
                if level {
                    if let Some(r) = self.rose.get(id as usize / 64) {
                        r.fetch_or(bit, Ordering::Relaxed);
                    }
                }
                self.generation.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    /// Whether line `id` rose since the rising edges were last taken.
    pub fn rose(&self, id: u32) -> bool {
        self.rose.get(id as usize / 64).is_some_and(|w| w.load(Ordering::Relaxed) >> (id % 64) & 1 == 1)
    }
    /// Takes (returns and clears) the rising edges of lines `64 * word .. 64 * word + 63`.
    pub fn take_rising(&self, word: usize) -> u64 {
        self.rose.get(word).map_or(0, |w| w.swap(0, Ordering::Relaxed))
    }
    /// Changes whenever any line changes level.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }
    /// Whether any line is high.
    pub fn any(&self) -> bool {
        self.words.iter().any(|w| w.load(Ordering::Relaxed) != 0)
    }
}

/// One interrupt output of a device.
#[derive(Debug, Clone)]
pub struct IrqLine {
    bank: Arc<IrqBank>,
    id: u32,
}

impl IrqLine {
    pub fn new(bank: Arc<IrqBank>, id: u32) -> Self {
        IrqLine { bank, id }
    }
    /// A line connected to nothing but its own bank, for unit tests.
    pub fn detached() -> Self {
        IrqLine { bank: IrqBank::new(1), id: 0 }
    }
    pub fn set_level(&self, level: bool) {
        self.bank.set(self.id, level);
    }
    pub fn level(&self) -> bool {
        self.bank.level(self.id)
    }
}
