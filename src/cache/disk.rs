//! The disk tier's policy: an index of what IndexedDB holds (key, estimated
//! bytes, expiry, last access, tags), kept in memory so that the size limit,
//! expiry sweeps and tag or prefix invalidation never read values back.
//!
//! The write-back (`writeback.rs`) keeps it: loaded from the `meta` store when
//! the database opens and again at every sweep (other tabs write too), and
//! following every transaction it hands the browser half to run.

use super::lru::LruList;
use foldhash::fast::FixedState;
use hashbrown::{HashMap, HashSet};

/// Most tags one entry may carry.
pub const MAX_TAGS: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct DiskMeta {
    pub bytes: u64,
    /// Milliseconds since the epoch; `f64::INFINITY` for never.
    pub expires_at: f64,
    /// Milliseconds since the epoch of the last write or disk read.
    pub accessed_at: f64,
    pub tags: Box<[Box<str>]>,
}

impl DiskMeta {
    /// Validate the fields of a stored meta record; `None` when the record is
    /// not one flowscale wrote (a foreign or corrupted record).
    pub fn from_fields(
        bytes: Option<f64>,
        expires_at: Option<f64>,
        accessed_at: Option<f64>,
        tags: Option<Vec<String>>,
    ) -> Option<DiskMeta> {
        let bytes = bytes.filter(|b| b.is_finite() && *b >= 0.0 && *b <= 9.0e15)?;
        let expires_at = expires_at.filter(|e| !e.is_nan() && *e > 0.0)?;
        let accessed_at = accessed_at.filter(|a| a.is_finite())?;
        let tags = tags.filter(|t| t.len() <= MAX_TAGS)?;
        Some(DiskMeta {
            bytes: bytes as u64,
            expires_at,
            accessed_at,
            tags: tags.into_iter().map(String::into_boxed_str).collect(),
        })
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DiskStats {
    pub entries: u64,
    pub bytes: u64,
    pub max_bytes: u64,
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub expirations: u64,
    /// Values written (a batch of n puts counts n).
    pub writes: u64,
    /// Values whose write failed.
    pub failed_writes: u64,
    /// Bytes of the values in committed puts, cumulative (each value's
    /// size as the disk limit counts it: the estimate, or `sizeBytes`).
    pub bytes_written: u64,
    /// Bytes of the values found by disk reads, cumulative (same measure).
    pub bytes_read: u64,
    /// Records found corrupted or foreign and deleted.
    pub corrupt: u64,
}

pub struct DiskIndex {
    entries: Vec<Option<(Box<str>, DiskMeta)>>,
    free: Vec<u32>,
    map: HashMap<Box<str>, u32, FixedState>,
    lru: LruList,
    bytes: u64,
    max_bytes: u64,
    /// Keys whose access time changed since it was last written.
    touched: HashSet<Box<str>, FixedState>,
    pub stats: DiskStats,
}

impl DiskIndex {
    pub fn new(max_bytes: u64) -> Self {
        DiskIndex {
            entries: Vec::new(),
            free: Vec::new(),
            map: HashMap::with_hasher(FixedState::default()),
            lru: LruList::default(),
            bytes: 0,
            max_bytes,
            touched: HashSet::with_hasher(FixedState::default()),
            stats: DiskStats::default(),
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

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    pub fn get(&self, key: &str) -> Option<&DiskMeta> {
        let s = *self.map.get(key)?;
        self.entries.get(s as usize)?.as_ref().map(|(_, m)| m)
    }

    /// Replace the whole index with what the database holds; recency follows
    /// the stored access times.
    pub fn replace_all(&mut self, mut records: Vec<(String, DiskMeta)>) {
        self.clear();
        records.sort_by(|a, b| a.1.accessed_at.total_cmp(&b.1.accessed_at));
        for (k, m) in records {
            self.put(&k, m);
        }
        self.touched.clear();
    }

    /// Record a write of `key` (new or replaced); it becomes the most recent.
    pub fn put(&mut self, key: &str, meta: DiskMeta) {
        self.touched.remove(key);
        if let Some(&s) = self.map.get(key) {
            if let Some((_, m)) = self.entries.get_mut(s as usize).and_then(Option::as_mut) {
                self.bytes = self.bytes - m.bytes + meta.bytes;
                *m = meta;
                self.lru.touch(s);
            }
            return;
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.entries.push(None);
                (self.entries.len() - 1) as u32
            }
        };
        self.bytes += meta.bytes;
        self.entries[slot as usize] = Some((key.into(), meta));
        self.map.insert(key.into(), slot);
        self.lru.push_front(slot);
    }

    /// Record a disk read of `key` at `now`.
    pub fn touch(&mut self, key: &str, now: f64) {
        let Some(&s) = self.map.get(key) else { return };
        if let Some((k, m)) = self.entries.get_mut(s as usize).and_then(Option::as_mut) {
            m.accessed_at = now;
            self.touched.insert(k.clone());
            self.lru.touch(s);
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<DiskMeta> {
        let s = self.map.remove(key)?;
        let (_, m) = self.entries.get_mut(s as usize)?.take()?;
        self.lru.unlink(s);
        self.bytes -= m.bytes;
        self.free.push(s);
        self.touched.remove(key);
        Some(m)
    }

    fn take_where(&mut self, mut pred: impl FnMut(&str, &DiskMeta) -> bool) -> Vec<Box<str>> {
        let keys: Vec<Box<str>> = self
            .entries
            .iter()
            .flatten()
            .filter(|(k, m)| pred(k, m))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &keys {
            self.remove(k);
        }
        keys
    }

    /// Remove and return the keys that have expired at `now`.
    pub fn take_expired(&mut self, now: f64) -> Vec<Box<str>> {
        let out = self.take_where(|_, m| m.expires_at <= now);
        self.stats.expirations += out.len() as u64;
        out
    }

    pub fn take_tag(&mut self, tag: &str) -> Vec<Box<str>> {
        self.take_where(|_, m| m.tags.iter().any(|t| &**t == tag))
    }

    pub fn take_prefix(&mut self, prefix: &str) -> Vec<Box<str>> {
        self.take_where(|k, _| k.starts_with(prefix))
    }

    /// While the index holds more than the byte limit, remove least recently
    /// used keys and return them. Keys for which `keep_if_possible` is true
    /// (held in the memory tier, hence in use) go last.
    pub fn evict_over_limit(&mut self, keep_if_possible: impl Fn(&str) -> bool) -> Vec<Box<str>> {
        if self.bytes <= self.max_bytes {
            return Vec::new();
        }
        let mut excess = self.bytes - self.max_bytes;
        let mut victims: Vec<u32> = Vec::new();
        for pass in 0..2 {
            for s in self.lru.iter_lru() {
                if excess == 0 {
                    break;
                }
                let Some((k, m)) = self.entries.get(s as usize).and_then(Option::as_ref) else {
                    continue;
                };
                let kept = keep_if_possible(k);
                if (pass == 0 && !kept) || (pass == 1 && kept) {
                    victims.push(s);
                    excess = excess.saturating_sub(m.bytes);
                }
            }
        }
        let keys: Vec<Box<str>> = victims
            .iter()
            .filter_map(|&s| {
                self.entries
                    .get(s as usize)?
                    .as_ref()
                    .map(|(k, _)| k.clone())
            })
            .collect();
        for k in &keys {
            self.remove(k);
        }
        self.stats.evictions += keys.len() as u64;
        keys
    }

    /// Keys (with their meta) whose access time should be written back.
    pub fn take_touched(&mut self) -> Vec<(Box<str>, DiskMeta)> {
        let keys: Vec<Box<str>> = self.touched.drain().collect();
        keys.into_iter()
            .filter_map(|k| self.get(&k).cloned().map(|m| (k, m)))
            .collect()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.free.clear();
        self.map.clear();
        self.lru.clear();
        self.touched.clear();
        self.bytes = 0;
    }

    pub fn stats(&self) -> DiskStats {
        DiskStats {
            entries: self.map.len() as u64,
            bytes: self.bytes,
            max_bytes: self.max_bytes,
            ..self.stats
        }
    }

    /// Keys from least to most recently used.
    pub fn keys_lru(&self) -> Vec<&str> {
        self.lru
            .iter_lru()
            .filter_map(|s| self.entries.get(s as usize)?.as_ref().map(|(k, _)| &**k))
            .collect()
    }

    #[doc(hidden)]
    pub fn check(&self) -> Result<(), String> {
        let live = self.entries.iter().flatten().count();
        if live != self.map.len() || live != self.lru.len() {
            return Err(format!(
                "live {live} map {} lru {}",
                self.map.len(),
                self.lru.len()
            ));
        }
        let sum: u64 = self.entries.iter().flatten().map(|(_, m)| m.bytes).sum();
        if sum != self.bytes {
            return Err(format!("bytes {} vs sum {sum}", self.bytes));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(bytes: u64, expires_at: f64, accessed_at: f64, tags: &[&str]) -> DiskMeta {
        DiskMeta {
            bytes,
            expires_at,
            accessed_at,
            tags: tags.iter().map(|t| (*t).into()).collect(),
        }
    }

    #[test]
    fn loads_in_access_order_and_evicts_least_recent() {
        let mut d = DiskIndex::new(25);
        d.replace_all(vec![
            ("b".into(), meta(10, f64::INFINITY, 2.0, &[])),
            ("a".into(), meta(10, f64::INFINITY, 1.0, &[])),
            ("c".into(), meta(10, f64::INFINITY, 3.0, &[])),
        ]);
        assert_eq!(d.keys_lru(), ["a", "b", "c"]);
        d.touch("a", 4.0);
        assert_eq!(d.evict_over_limit(|_| false), vec![Box::from("b")]);
        assert_eq!(d.bytes(), 20);
        assert_eq!(d.take_touched().len(), 1);
        d.check().unwrap();
    }

    #[test]
    fn memory_resident_keys_go_last() {
        let mut d = DiskIndex::new(20);
        for (i, k) in ["a", "b", "c"].iter().enumerate() {
            d.put(k, meta(10, f64::INFINITY, i as f64, &[]));
        }
        assert_eq!(d.evict_over_limit(|k| k == "a"), vec![Box::from("b")]);
        assert_eq!(d.keys_lru(), ["a", "c"]);
        // Every key resident: the least recent goes anyway.
        d.put("d", meta(10, f64::INFINITY, 9.0, &[]));
        assert_eq!(d.evict_over_limit(|_| true), vec![Box::from("a")]);
        assert_eq!(d.bytes(), 20);
        d.check().unwrap();
    }

    #[test]
    fn expiry_tags_prefixes() {
        let mut d = DiskIndex::new(1000);
        d.put("wf:1", meta(1, 50.0, 0.0, &["t"]));
        d.put("wf:2", meta(1, f64::INFINITY, 0.0, &["t", "u"]));
        d.put("x", meta(1, f64::INFINITY, 0.0, &["u"]));
        assert_eq!(d.take_expired(50.0), vec![Box::from("wf:1")]);
        assert_eq!(d.take_tag("u").len(), 2);
        assert!(d.take_prefix("wf:").is_empty());
        assert!(d.is_empty());
        assert_eq!(d.stats().expirations, 1);
        d.check().unwrap();
    }

    #[test]
    fn meta_validation() {
        let ok = DiskMeta::from_fields(Some(5.0), Some(f64::INFINITY), Some(1.0), Some(vec![]));
        assert!(ok.is_some());
        assert!(DiskMeta::from_fields(Some(-1.0), Some(1.0), Some(1.0), Some(vec![])).is_none());
        assert!(
            DiskMeta::from_fields(Some(1.0), Some(f64::NAN), Some(1.0), Some(vec![])).is_none()
        );
        assert!(DiskMeta::from_fields(Some(1.0), Some(1.0), None, Some(vec![])).is_none());
        assert!(DiskMeta::from_fields(Some(1.0), Some(1.0), Some(1.0), None).is_none());
    }
}
