//! Ids of one kind (nodes, or edges) in a single byte arena, and the
//! id → slot lookup over it. A `String` per id costs 24 bytes and a heap
//! allocation each; here an id costs its bytes, a length byte and a 4-byte
//! offset, and a million-node load makes no allocation per id.

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// Set in a slot's offset once the slot is removed: its record stays, as
/// garbage, until the slot is reused (in place when the new id fits) or the
/// arena is compacted.
const DEAD: u32 = 1 << 31;
/// A removed slot with no record left to reuse (after a compaction).
const NO_RECORD: u32 = u32::MAX;
/// Most bytes an arena holds: offsets are 31 bits, the top one is `DEAD`,
/// and no record starts at the offset that `NO_RECORD` would mark removed.
const MAX_BYTES: usize = (DEAD - 1) as usize;
/// Garbage below this is never worth a compaction.
const MIN_GARBAGE: usize = 4096;

/// Bytes of the LEB128 encoding of `n`.
fn varint_len(n: usize) -> usize {
    let bits = usize::BITS - n.leading_zeros();
    (bits as usize).div_ceil(7).max(1)
}

/// Bytes of the record of an id of `n` bytes: its length, then the id.
fn record_len(n: usize) -> usize {
    varint_len(n) + n
}

/// The LEB128 encoding of `n` (at most 10 bytes for a 64-bit length).
fn varint(mut n: usize) -> ([u8; 10], usize) {
    let mut buf = [0u8; 10];
    let mut k = 0;
    while n >= 0x80 && k < 9 {
        buf[k] = (n as u8 & 0x7f) | 0x80;
        n >>= 7;
        k += 1;
    }
    buf[k] = n as u8;
    (buf, k + 1)
}

/// Ids by slot: each slot's id is a record (LEB128 length, then the UTF-8
/// bytes) at an offset in one byte vector.
#[derive(Clone, Debug, Default)]
pub struct IdArena {
    bytes: Vec<u8>,
    /// Per slot, the offset of its record, `| DEAD` once removed.
    at: Vec<u32>,
    /// Bytes of `bytes` in no live slot's record.
    garbage: usize,
    /// Slots the builder expects in all: the arena grows towards the size
    /// their ids extrapolate to rather than doubling past it.
    expect: usize,
}

/// Room for `need` more elements in `v`. Past a builder's exact
/// reservation a column grows by an eighth, not double: one node added to
/// a million-node workflow must not double its memory (wasm memory never
/// shrinks back).
pub(super) fn grow_for<T>(v: &mut Vec<T>, need: usize) {
    if v.capacity() - v.len() < need {
        v.reserve_exact(need.max(v.len() / 8).max(16));
    }
}

impl IdArena {
    /// An arena for `slots` ids, their offsets reserved.
    pub fn with_capacity(slots: usize) -> Self {
        IdArena {
            at: Vec::with_capacity(slots),
            expect: slots,
            ..Default::default()
        }
    }

    /// Number of slots, live and removed.
    pub fn slots(&self) -> usize {
        self.at.len()
    }

    /// The id of `slot`: its last id once removed (until reused or
    /// compacted away), empty past the end.
    pub fn get(&self, slot: u32) -> &[u8] {
        match self.at.get(slot as usize) {
            Some(&NO_RECORD) | None => &[],
            Some(&at) => self.record((at & !DEAD) as usize),
        }
    }

    /// `get` as text. Every record was written from a `&str`, so the check
    /// never fails; it costs a pass over a few bytes.
    pub fn get_str(&self, slot: u32) -> &str {
        std::str::from_utf8(self.get(slot)).unwrap_or("")
    }

    fn record(&self, mut o: usize) -> &[u8] {
        let mut len = 0usize;
        let mut shift = 0u32;
        loop {
            let Some(&b) = self.bytes.get(o) else {
                return &[];
            };
            o += 1;
            len |= usize::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift >= usize::BITS {
                return &[];
            }
        }
        o.checked_add(len)
            .and_then(|end| self.bytes.get(o..end))
            .unwrap_or(&[])
    }

    /// Bytes that can still be appended: a bound on what ids added later
    /// may take (their records may also reuse space, never take more).
    pub fn room(&self) -> usize {
        MAX_BYTES.saturating_sub(self.bytes.len())
    }

    /// Whether ids of `bytes` bytes in all, `count` of them, fit in `room`
    /// (the length of an id that fits takes at most 5 bytes).
    pub fn fits(&self, count: usize, bytes: usize) -> bool {
        count.saturating_mul(5).saturating_add(bytes) <= self.room()
    }

    /// Append `id`'s record; its offset, or None when the arena is full.
    fn append(&mut self, id: &[u8]) -> Option<u32> {
        let need = record_len(id.len());
        let at = self.bytes.len();
        if at + need > MAX_BYTES {
            return None;
        }
        self.reserve(need);
        let (len, k) = varint(id.len());
        self.bytes.extend_from_slice(&len[..k]);
        self.bytes.extend_from_slice(id);
        Some(at as u32)
    }

    fn reserve(&mut self, need: usize) {
        let len = self.bytes.len();
        if self.bytes.capacity() - len >= need {
            return;
        }
        let slots = self.at.len();
        let extra = if slots >= 256 && slots < self.expect {
            // The ids so far, extrapolated to the slots still to come (and a
            // sixteenth more): one or two copies instead of one per doubling,
            // and little left unused. Bounded, lest a few long ids at the
            // start reserve far too much.
            let per = (len + need) as f64 / (slots + 1) as f64;
            let rest = per * (self.expect - slots) as f64 * (17.0 / 16.0);
            (rest as usize).clamp(need, (8 * len).max(need))
        } else if slots < self.expect {
            len.max(need).max(1024)
        } else {
            need.max(len / 8).max(1024)
        };
        self.bytes.reserve_exact(extra);
    }

    /// Add a slot holding `id`. False when the arena is full: the slot is
    /// added with an empty id, so that slots stay in step with the other
    /// columns (callers that can fail `pop` it; the others checked `fits`).
    pub fn push(&mut self, id: &str) -> bool {
        grow_for(&mut self.at, 1);
        let at = self.append(id.as_bytes());
        self.at.push(at.unwrap_or(NO_RECORD));
        at.is_some()
    }

    /// Take back the slot `push` just added, with its record.
    pub fn pop(&mut self) {
        if let Some(at) = self.at.pop() {
            if at & DEAD == 0 {
                self.bytes.truncate(at as usize);
            }
        }
    }

    /// Give removed `slot` the id `id`: in its old record when it fits,
    /// else appended. False when the arena is full: the slot's id is then
    /// empty (callers checked `fits` first).
    pub fn set(&mut self, slot: u32, id: &str) -> bool {
        let Some(&at) = self.at.get(slot as usize) else {
            return false;
        };
        if at & DEAD == 0 {
            self.remove(slot);
        }
        let need = record_len(id.len());
        let old = match self.at.get(slot as usize) {
            Some(&NO_RECORD) | None => None,
            Some(&at) => {
                let o = (at & !DEAD) as usize;
                Some((o, record_len(self.record(o).len())))
            }
        };
        let at = match old {
            Some((o, cap)) if need <= cap => {
                let (len, k) = varint(id.len());
                match self.bytes.get_mut(o..o + need) {
                    Some(dst) => {
                        dst[..k].copy_from_slice(&len[..k]);
                        dst[k..].copy_from_slice(id.as_bytes());
                        self.garbage -= need.min(self.garbage);
                        Some(o as u32)
                    }
                    None => None,
                }
            }
            _ => self.append(id.as_bytes()),
        };
        if let Some(s) = self.at.get_mut(slot as usize) {
            *s = at.unwrap_or(NO_RECORD);
        }
        at.is_some()
    }

    /// Mark `slot` removed: its record becomes garbage, and once garbage
    /// is half the arena the live records are packed together again.
    pub fn remove(&mut self, slot: u32) {
        let Some(&at) = self.at.get(slot as usize) else {
            return;
        };
        if at & DEAD != 0 {
            return;
        }
        self.garbage += record_len(self.record(at as usize).len());
        if let Some(s) = self.at.get_mut(slot as usize) {
            *s = at | DEAD;
        }
        if self.garbage >= MIN_GARBAGE && self.garbage * 2 > self.bytes.len() {
            self.compact();
        }
    }

    /// Copy the live records into a new arena, in slot order. Removed
    /// slots lose their old records (reusing one appends).
    fn compact(&mut self) {
        let live = self.bytes.len() - self.garbage.min(self.bytes.len());
        let mut out: Vec<u8> = Vec::with_capacity(live + live / 8);
        let mut at = std::mem::take(&mut self.at);
        for a in at.iter_mut() {
            if *a & DEAD != 0 {
                *a = NO_RECORD;
                continue;
            }
            // Offsets stay below `MAX_BYTES`: the live records fitted before.
            let id = self.record(*a as usize);
            *a = out.len() as u32;
            let (len, k) = varint(id.len());
            out.extend_from_slice(&len[..k]);
            out.extend_from_slice(id);
        }
        self.at = at;
        self.bytes = out;
        self.garbage = 0;
    }

    /// After a build: release capacity the ids left unused, when that is
    /// more than an eighth (a shrink may copy the arena).
    pub fn shrink_to_fit(&mut self) {
        if self.bytes.capacity() - self.bytes.len() > self.bytes.len() / 8 {
            self.bytes.shrink_to_fit();
        }
        if self.at.capacity() - self.at.len() > self.at.len() / 8 {
            self.at.shrink_to_fit();
        }
        self.expect = 0;
    }
}

/// Id → slot lookup that stores no second copy of the ids: the table holds
/// slots, and hashes and compares through the slot's id in the arena.
#[derive(Clone, Debug, Default)]
pub struct IdIndex {
    table: HashTable<u32>,
    hasher: RandomState,
}

impl IdIndex {
    pub fn with_capacity(n: usize) -> Self {
        IdIndex {
            table: HashTable::with_capacity(n),
            hasher: RandomState::default(),
        }
    }

    pub fn get(&self, id: &str, ids: &IdArena) -> Option<u32> {
        let id = id.as_bytes();
        let h = self.hasher.hash_one(id);
        self.table.find(h, |&s| ids.get(s) == id).copied()
    }

    /// Add `slot`, whose id is already in `ids` and not yet indexed.
    pub fn insert(&mut self, slot: u32, ids: &IdArena) {
        let hasher = &self.hasher;
        let h = hasher.hash_one(ids.get(slot));
        self.table
            .insert_unique(h, slot, |&s| hasher.hash_one(ids.get(s)));
    }

    /// Add `slot`, whose id is already in `ids`, unless an earlier slot has
    /// that id: then that slot, and nothing added. One probe for both.
    pub fn insert_new(&mut self, slot: u32, ids: &IdArena) -> Option<u32> {
        let hasher = &self.hasher;
        let id = ids.get(slot);
        let h = hasher.hash_one(id);
        match self
            .table
            .entry(h, |&s| ids.get(s) == id, |&s| hasher.hash_one(ids.get(s)))
        {
            hashbrown::hash_table::Entry::Occupied(e) => Some(*e.get()),
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(slot);
                None
            }
        }
    }

    /// Remove `slot` (call while `ids` still holds its id).
    pub fn remove(&mut self, slot: u32, ids: &IdArena) {
        let h = self.hasher.hash_one(ids.get(slot));
        if let Ok(entry) = self.table.find_entry(h, |&s| s == slot) {
            entry.remove();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_lengths() {
        assert_eq!(varint_len(0), 1);
        assert_eq!(varint_len(127), 1);
        assert_eq!(varint_len(128), 2);
        assert_eq!(varint_len(16_383), 2);
        assert_eq!(varint_len(16_384), 3);
    }

    #[test]
    fn ids_round_trip_and_reuse_space() {
        let mut a = IdArena::with_capacity(3);
        let long = "x".repeat(300);
        assert!(a.push("alpha") && a.push(&long) && a.push(""));
        assert_eq!(
            (a.get_str(0), a.get_str(1), a.get_str(2)),
            ("alpha", &*long, "")
        );
        let size = a.bytes.len();
        a.remove(0);
        assert!(a.set(0, "beta"));
        assert_eq!(a.get_str(0), "beta");
        assert_eq!(a.bytes.len(), size, "a shorter id reuses the record");
        a.remove(0);
        assert!(a.set(0, "gamma-delta"));
        assert_eq!(a.get_str(0), "gamma-delta");
        assert_eq!(a.get_str(1), long);
        a.pop();
        assert_eq!(a.slots(), 2);
    }

    #[test]
    fn garbage_is_compacted_away() {
        let mut a = IdArena::default();
        for k in 0..10_000 {
            assert!(a.push(&format!("node-{k}")));
        }
        for k in (0..10_000).filter(|k| k % 3 != 0) {
            a.remove(k);
        }
        assert!(a.garbage < a.bytes.len());
        for k in (0..10_000u32).step_by(3) {
            assert_eq!(a.get_str(k), format!("node-{k}"));
        }
        // A slot removed before the compaction takes a new id by appending.
        assert!(a.set(1, "one"));
        assert_eq!(a.get_str(1), "one");
    }

    #[test]
    fn index_finds_through_the_arena() {
        let mut a = IdArena::default();
        let mut ix = IdIndex::with_capacity(4);
        for id in ["a", "b", "c"] {
            a.push(id);
            ix.insert((a.slots() - 1) as u32, &a);
        }
        a.push("b");
        assert_eq!(ix.insert_new(3, &a), Some(1));
        a.pop();
        assert_eq!(ix.get("c", &a), Some(2));
        ix.remove(1, &a);
        a.remove(1);
        assert_eq!(ix.get("b", &a), None);
        assert!(a.set(1, "bb"));
        ix.insert(1, &a);
        assert_eq!(ix.get("bb", &a), Some(1));
    }
}
