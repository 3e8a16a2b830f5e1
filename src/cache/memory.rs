//! The memory tier's policy: which keys are held, in which slots, until when;
//! LRU eviction by entry count and by estimated bytes; TTL; tags; counters.
//!
//! It never sees a value. Values live on the JS side in an array indexed by
//! slot (`web/cache.js`), so a hit hands back the caller's own object with no
//! copy; this type decides, the JS side stores. Time is a number of
//! milliseconds passed in by the caller (`Date.now()` in the browser, a fake
//! clock in tests).

use super::lru::LruList;
use super::sketch::FrequencySketch;
use foldhash::fast::FixedState;
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// How a new key gets into a full memory tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Always: the least recently used entry makes room.
    Lru,
    /// Only when the new key is asked for more often (by a frequency sketch)
    /// than the entry it would evict; otherwise the new value stays out of
    /// memory (the disk tier still gets it).
    TinyLfu,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Box<str>,
    pub bytes: u64,
    /// Milliseconds since the epoch; `f64::INFINITY` for never.
    pub expires_at: f64,
    pub tags: Box<[Box<str>]>,
    hash: u64,
}

/// An entry that left the tier: the caller drops `slot` from its value store.
#[derive(Clone, Debug, PartialEq)]
pub struct Removed {
    pub slot: u32,
    pub key: Box<str>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    Hit(u32),
    Miss,
    /// The entry had expired; it was removed.
    Expired(Removed),
}

/// Why a value was not held in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotHeld {
    /// Larger than the tier's byte limit on its own.
    TooBig,
    /// TinyLFU preferred the entry it would have evicted.
    NotAdmitted,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct InsertOutcome {
    /// Where the value goes; `None` when it is not held (see `not_held`).
    pub slot: Option<u32>,
    /// Entries that left to make room (or the key's old entry when the new
    /// value is not held).
    pub removed: Vec<Removed>,
    pub not_held: Option<NotHeld>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MemoryStats {
    pub entries: u64,
    pub bytes: u64,
    pub max_entries: u64,
    pub max_bytes: u64,
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub expirations: u64,
    /// New values TinyLFU kept out of memory.
    pub rejections: u64,
}

impl MemoryStats {
    pub fn hit_rate(&self) -> f64 {
        let n = self.hits + self.misses;
        if n == 0 {
            0.0
        } else {
            self.hits as f64 / n as f64
        }
    }
}

pub struct MemoryTier {
    entries: Vec<Option<Entry>>,
    /// Per slot, beside `entries` so the hit path reads one f64: the expiry
    /// time, or -∞ for a free slot.
    expires: Vec<f64>,
    free: Vec<u32>,
    /// Key → slot. The table stores slots only; keys live once, in `entries`.
    map: HashTable<u32>,
    lru: LruList,
    bytes: u64,
    max_entries: usize,
    max_bytes: u64,
    stats: MemoryStats,
    sketch: Option<FrequencySketch>,
    hasher: FixedState,
    /// The last key recorded by a miss, so the `set` that usually follows it
    /// does not count the same access twice in the sketch.
    last_miss: u64,
}

impl MemoryTier {
    pub fn new(max_entries: usize, max_bytes: u64, admission: Admission) -> Self {
        let max_entries = max_entries.max(1);
        MemoryTier {
            entries: Vec::new(),
            expires: Vec::new(),
            free: Vec::new(),
            map: HashTable::new(),
            lru: LruList::default(),
            bytes: 0,
            max_entries,
            max_bytes,
            stats: MemoryStats::default(),
            sketch: (admission == Admission::TinyLfu).then(|| FrequencySketch::new(max_entries)),
            hasher: FixedState::default(),
            last_miss: 0,
        }
    }

    pub fn admission(&self) -> Admission {
        if self.sketch.is_some() {
            Admission::TinyLfu
        } else {
            Admission::Lru
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    fn hash(&self, key: &str) -> u64 {
        self.hasher.hash_one(key)
    }

    fn find(&self, hash: u64, key: &str) -> Option<u32> {
        let entries = &self.entries;
        self.map
            .find(hash, |&s| {
                entries
                    .get(s as usize)
                    .and_then(Option::as_ref)
                    .is_some_and(|e| &*e.key == key)
            })
            .copied()
    }

    pub fn slot_of(&self, key: &str) -> Option<u32> {
        self.find(self.hash(key), key)
    }

    pub fn entry(&self, slot: u32) -> Option<&Entry> {
        self.entries.get(slot as usize).and_then(Option::as_ref)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.slot_of(key).is_some()
    }

    /// The hit path: the caller found `slot` for its key. Counts a hit, or
    /// removes the entry when it has expired.
    #[inline]
    pub fn hit(&mut self, slot: u32, now: f64) -> Lookup {
        let Some(&exp) = self.expires.get(slot as usize) else {
            self.stats.misses += 1;
            return Lookup::Miss;
        };
        if exp > now {
            self.lru.touch(slot);
            self.stats.hits += 1;
            if let Some(sketch) = &mut self.sketch {
                if let Some(Some(e)) = self.entries.get(slot as usize) {
                    sketch.increment(e.hash);
                }
            }
            return Lookup::Hit(slot);
        }
        self.stats.misses += 1;
        match self.remove_slot(slot) {
            Some(removed) => {
                self.stats.expirations += 1;
                Lookup::Expired(removed)
            }
            None => Lookup::Miss,
        }
    }

    /// Look a key up (counts a hit or a miss).
    pub fn get(&mut self, key: &str, now: f64) -> Lookup {
        match self.slot_of(key) {
            Some(slot) => self.hit(slot, now),
            None => {
                self.record_miss(Some(key));
                Lookup::Miss
            }
        }
    }

    /// Count a miss found by the caller; with TinyLFU the key's access is
    /// recorded too (`None` when the caller did not pass the key).
    pub fn record_miss(&mut self, key: Option<&str>) {
        self.stats.misses += 1;
        if let (Some(key), true) = (key, self.sketch.is_some()) {
            let h = self.hash(key);
            self.last_miss = h;
            if let Some(s) = &mut self.sketch {
                s.increment(h);
            }
        }
    }

    /// Hold `key` (new or replaced) with `bytes`, `expires_at` and `tags`.
    pub fn insert(
        &mut self,
        key: &str,
        bytes: u64,
        expires_at: f64,
        tags: Box<[Box<str>]>,
    ) -> InsertOutcome {
        let hash = self.hash(key);
        if let Some(slot) = self.find(hash, key) {
            if bytes > self.max_bytes {
                return InsertOutcome {
                    slot: None,
                    removed: self.remove_slot(slot).into_iter().collect(),
                    not_held: Some(NotHeld::TooBig),
                };
            }
            let Some(e) = self.entries.get_mut(slot as usize).and_then(Option::as_mut) else {
                return InsertOutcome::default();
            };
            self.bytes = self.bytes - e.bytes + bytes;
            e.bytes = bytes;
            e.expires_at = expires_at;
            e.tags = tags;
            self.expires[slot as usize] = expires_at;
            self.lru.touch(slot);
            let removed = self.evict_to_fit(0, 0, Some(slot));
            return InsertOutcome {
                slot: Some(slot),
                removed,
                not_held: None,
            };
        }
        if bytes > self.max_bytes {
            return InsertOutcome {
                slot: None,
                removed: Vec::new(),
                not_held: Some(NotHeld::TooBig),
            };
        }
        if let Some(sketch) = &mut self.sketch {
            if self.last_miss != hash {
                sketch.increment(hash);
            }
            self.last_miss = 0;
            let full = self.map.len() + 1 > self.max_entries || self.bytes + bytes > self.max_bytes;
            let victim_hash = self
                .lru
                .back()
                .and_then(|s| self.entries.get(s as usize))
                .and_then(|e| e.as_ref().map(|e| e.hash));
            if full {
                if let Some(victim_hash) = victim_hash {
                    if sketch.estimate(hash) <= sketch.estimate(victim_hash) {
                        self.stats.rejections += 1;
                        return InsertOutcome {
                            slot: None,
                            removed: Vec::new(),
                            not_held: Some(NotHeld::NotAdmitted),
                        };
                    }
                }
            }
        }
        let removed = self.evict_to_fit(1, bytes, None);
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.entries.push(None);
                self.expires.push(f64::NEG_INFINITY);
                (self.entries.len() - 1) as u32
            }
        };
        self.entries[slot as usize] = Some(Entry {
            key: key.into(),
            bytes,
            expires_at,
            tags,
            hash,
        });
        self.expires[slot as usize] = expires_at;
        let entries = &self.entries;
        self.map.insert_unique(hash, slot, |&s| {
            entries
                .get(s as usize)
                .and_then(Option::as_ref)
                .map_or(0, |e| e.hash)
        });
        self.lru.push_front(slot);
        self.bytes += bytes;
        InsertOutcome {
            slot: Some(slot),
            removed,
            not_held: None,
        }
    }

    /// Evict least recently used entries until `extra` more entries of
    /// `extra_bytes` fit; never `keep`.
    fn evict_to_fit(&mut self, extra: usize, extra_bytes: u64, keep: Option<u32>) -> Vec<Removed> {
        let mut out = Vec::new();
        while self.map.len() + extra > self.max_entries || self.bytes + extra_bytes > self.max_bytes
        {
            let victim = self.lru.iter_lru().find(|&s| Some(s) != keep);
            let Some(removed) = victim.and_then(|v| self.remove_slot(v)) else {
                break;
            };
            self.stats.evictions += 1;
            out.push(removed);
        }
        out
    }

    /// Free a slot; `None` when it was not live.
    fn remove_slot(&mut self, slot: u32) -> Option<Removed> {
        let e = self.entries.get_mut(slot as usize)?.take()?;
        self.expires[slot as usize] = f64::NEG_INFINITY;
        if let Ok(found) = self.map.find_entry(e.hash, |&s| s == slot) {
            found.remove();
        }
        self.lru.unlink(slot);
        self.bytes -= e.bytes;
        self.free.push(slot);
        Some(Removed { slot, key: e.key })
    }

    pub fn remove(&mut self, key: &str) -> Option<Removed> {
        let slot = self.slot_of(key)?;
        self.remove_slot(slot)
    }

    /// Remove every entry matching `pred`.
    pub fn remove_where(&mut self, mut pred: impl FnMut(&Entry) -> bool) -> Vec<Removed> {
        let slots: Vec<u32> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().filter(|e| pred(e)).map(|_| i as u32))
            .collect();
        slots
            .into_iter()
            .filter_map(|s| self.remove_slot(s))
            .collect()
    }

    pub fn invalidate_tag(&mut self, tag: &str) -> Vec<Removed> {
        self.remove_where(|e| e.tags.iter().any(|t| &**t == tag))
    }

    pub fn invalidate_prefix(&mut self, prefix: &str) -> Vec<Removed> {
        self.remove_where(|e| e.key.starts_with(prefix))
    }

    /// Remove expired entries (a sweep); counted as expirations.
    pub fn purge_expired(&mut self, now: f64) -> Vec<Removed> {
        let out = self.remove_where(|e| e.expires_at <= now);
        self.stats.expirations += out.len() as u64;
        out
    }

    /// Drop every entry; counters stay.
    pub fn clear(&mut self) -> usize {
        let n = self.map.len();
        self.entries.clear();
        self.expires.clear();
        self.free.clear();
        self.map.clear();
        self.lru.clear();
        self.bytes = 0;
        n
    }

    pub fn stats(&self) -> MemoryStats {
        MemoryStats {
            entries: self.map.len() as u64,
            bytes: self.bytes,
            max_entries: self.max_entries as u64,
            max_bytes: self.max_bytes,
            ..self.stats
        }
    }

    /// Keys from least to most recently used.
    pub fn keys_lru(&self) -> Vec<&str> {
        self.lru
            .iter_lru()
            .filter_map(|s| self.entry(s).map(|e| &*e.key))
            .collect()
    }

    /// Internal consistency, for tests: every map entry has its slot, the
    /// recency list holds exactly the live slots, byte and entry totals add
    /// up and stay within the limits.
    #[doc(hidden)]
    pub fn check(&self) -> Result<(), String> {
        let live: Vec<u32> = (0..self.entries.len() as u32)
            .filter(|&s| self.entry(s).is_some())
            .collect();
        if live.len() != self.map.len() || self.lru.len() != live.len() {
            return Err(format!(
                "live {} map {} lru {}",
                live.len(),
                self.map.len(),
                self.lru.len()
            ));
        }
        let mut sum = 0;
        for &s in &live {
            let e = self.entry(s).ok_or("dead slot")?;
            if self.slot_of(&e.key) != Some(s) {
                return Err(format!("map disagrees for {}", e.key));
            }
            if self.expires[s as usize] != e.expires_at {
                return Err("expiry column disagrees".into());
            }
            sum += e.bytes;
        }
        if sum != self.bytes {
            return Err(format!("bytes {} vs sum {sum}", self.bytes));
        }
        let mut in_lru: Vec<u32> = self.lru.iter_lru().collect();
        in_lru.sort_unstable();
        if in_lru != live {
            return Err("recency list disagrees with live slots".into());
        }
        if self.map.len() > self.max_entries || self.bytes > self.max_bytes {
            return Err(format!(
                "over capacity: {} entries, {} bytes",
                self.map.len(),
                self.bytes
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(n: usize) -> MemoryTier {
        MemoryTier::new(n, 1 << 30, Admission::Lru)
    }

    fn put(t: &mut MemoryTier, k: &str, ttl_end: f64) -> InsertOutcome {
        t.insert(k, 10, ttl_end, Box::new([]))
    }

    #[test]
    fn lru_order_and_eviction() {
        let mut t = tier(3);
        for k in ["a", "b", "c"] {
            put(&mut t, k, f64::INFINITY);
        }
        assert!(matches!(t.get("a", 0.0), Lookup::Hit(_)));
        let out = put(&mut t, "d", f64::INFINITY);
        assert_eq!(&*out.removed[0].key, "b");
        assert_eq!(t.keys_lru(), ["c", "a", "d"]);
        assert_eq!(t.stats().evictions, 1);
        t.check().unwrap();
    }

    #[test]
    fn ttl_with_a_fake_clock() {
        let mut t = tier(10);
        put(&mut t, "a", 1000.0);
        assert!(matches!(t.get("a", 999.0), Lookup::Hit(_)));
        assert!(matches!(t.get("a", 1000.0), Lookup::Expired(_)));
        assert_eq!(t.get("a", 1000.0), Lookup::Miss);
        let s = t.stats();
        assert_eq!((s.hits, s.misses, s.expirations, s.entries), (1, 2, 1, 0));
    }

    #[test]
    fn byte_limit_evicts_and_rejects_too_big() {
        let mut t = MemoryTier::new(100, 25, Admission::Lru);
        put(&mut t, "a", f64::INFINITY);
        put(&mut t, "b", f64::INFINITY);
        let out = put(&mut t, "c", f64::INFINITY);
        assert_eq!(out.removed.len(), 1);
        assert_eq!(t.bytes(), 20);
        let out = t.insert("huge", 26, f64::INFINITY, Box::new([]));
        assert_eq!(out.not_held, Some(NotHeld::TooBig));
        // Growing an existing entry past the limit evicts others, not itself.
        let out = t.insert("c", 25, f64::INFINITY, Box::new([]));
        assert_eq!(out.removed.len(), 1);
        assert_eq!(t.keys_lru(), ["c"]);
        t.check().unwrap();
    }

    #[test]
    fn tags_and_prefixes() {
        let mut t = tier(10);
        t.insert("wf:1", 1, f64::INFINITY, vec!["x".into()].into());
        t.insert(
            "wf:2",
            1,
            f64::INFINITY,
            vec!["x".into(), "y".into()].into(),
        );
        t.insert("other", 1, f64::INFINITY, vec!["y".into()].into());
        assert_eq!(t.invalidate_tag("x").len(), 2);
        assert_eq!(t.invalidate_prefix("wf:").len(), 0);
        assert_eq!(t.invalidate_prefix("oth").len(), 1);
        assert!(t.is_empty());
        t.check().unwrap();
    }

    #[test]
    fn tinylfu_keeps_frequent_keys() {
        let mut t = MemoryTier::new(2, 1 << 30, Admission::TinyLfu);
        for k in ["hot", "warm"] {
            t.record_miss(Some(k));
            put(&mut t, k, f64::INFINITY);
        }
        for _ in 0..5 {
            assert!(matches!(t.get("hot", 0.0), Lookup::Hit(_)));
            assert!(matches!(t.get("warm", 0.0), Lookup::Hit(_)));
        }
        // A key seen once does not displace either.
        t.record_miss(Some("once"));
        let out = put(&mut t, "once", f64::INFINITY);
        assert_eq!(out.not_held, Some(NotHeld::NotAdmitted));
        assert_eq!(t.stats().rejections, 1);
        t.check().unwrap();
    }
}
