//! The one event queue of the machine, ordered by (virtual time, sequence number) so ties
//! break deterministically.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Virtual time in nanoseconds since machine start.
pub type VirtTime = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Event {
    pub at: VirtTime,
    pub seq: u64,
    /// Which device (index in the machine's device list).
    pub device: u32,
    pub token: u64,
}

#[derive(Debug, Default)]
pub struct Scheduler {
    heap: BinaryHeap<Reverse<Event>>,
    seq: u64,
    cancelled: std::collections::HashSet<u64>,
}

impl Scheduler {
    /// Schedules `token` for `device` at `at`; returns an id for `cancel`.
    pub fn schedule(&mut self, at: VirtTime, device: u32, token: u64) -> u64 {
        self.seq += 1;
        self.heap.push(Reverse(Event { at, seq: self.seq, device, token }));
        self.seq
    }
    pub fn cancel(&mut self, id: u64) {
        self.cancelled.insert(id);
    }
    pub fn next_deadline(&mut self) -> Option<VirtTime> {
        while let Some(Reverse(e)) = self.heap.peek() {
            if self.cancelled.remove(&e.seq) {
                self.heap.pop();
            } else {
                return Some(e.at);
            }
        }
        None
    }
    /// Pops the next event due at or before `now`.
    pub fn pop_due(&mut self, now: VirtTime) -> Option<Event> {
        loop {
            let Reverse(e) = *self.heap.peek()?;
            if self.cancelled.remove(&e.seq) {
                self.heap.pop();
                continue;
            }
            if e.at > now {
                return None;
            }
            self.heap.pop();
            return Some(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_schedule_ties_break_by_sequence() {
        let mut s = Scheduler::default();
        s.schedule(10, 1, 100);
        s.schedule(5, 2, 200);
        s.schedule(10, 3, 300);
        assert_eq!(s.next_deadline(), Some(5));
        assert_eq!(s.pop_due(4), None);
        assert_eq!(s.pop_due(10).map(|e| e.device), Some(2));
        assert_eq!(s.pop_due(10).map(|e| e.device), Some(1));
        assert_eq!(s.pop_due(10).map(|e| e.device), Some(3));
        assert_eq!(s.pop_due(10), None);
    }

    #[test]
    fn test_cancel_removes_event() {
        let mut s = Scheduler::default();
        let a = s.schedule(1, 1, 0);
        s.schedule(2, 2, 0);
        s.cancel(a);
        assert_eq!(s.next_deadline(), Some(2));
        assert_eq!(s.pop_due(5).map(|e| e.device), Some(2));
    }
}
