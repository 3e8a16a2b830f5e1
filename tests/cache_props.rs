//! Property tests of the cache policy against a plain reference model, with a
//! fake clock: capacity (entries and bytes) is never exceeded, an expired
//! entry is never returned, the recency order is exactly LRU, and the
//! counters add up.
#![cfg(not(target_arch = "wasm32"))]

use flowscale::cache::{Admission, DiskIndex, DiskMeta, Lookup, MemoryTier};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Set {
        key: u8,
        bytes: u16,
        ttl: u16,
        tag: u8,
    },
    Get {
        key: u8,
    },
    Advance {
        ms: u16,
    },
    Remove {
        key: u8,
    },
    Tag {
        tag: u8,
    },
    Prefix {
        p: u8,
    },
    Purge,
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..24, 0u16..400, 1u16..2000, 0u8..4).prop_map(|(key, bytes, ttl, tag)| Op::Set { key, bytes, ttl, tag }),
        5 => (0u8..24).prop_map(|key| Op::Get { key }),
        2 => (0u16..600).prop_map(|ms| Op::Advance { ms }),
        1 => (0u8..24).prop_map(|key| Op::Remove { key }),
        1 => (0u8..4).prop_map(|tag| Op::Tag { tag }),
        1 => (0u8..3).prop_map(|p| Op::Prefix { p }),
        1 => Just(Op::Purge),
        1 => Just(Op::Clear),
    ]
}

fn key(k: u8) -> String {
    format!("{}{k}", ["a", "b", "c"][k as usize % 3])
}

/// The reference: a list from least to most recently used.
#[derive(Default)]
struct Model {
    items: Vec<(String, u64, f64, String)>,
}

impl Model {
    fn pos(&self, k: &str) -> Option<usize> {
        self.items.iter().position(|(x, ..)| x == k)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn memory_tier_matches_an_lru_model(
        max_entries in 1usize..8,
        max_bytes in 200u64..1500,
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let mut t = MemoryTier::new(max_entries, max_bytes, Admission::Lru);
        let mut m = Model::default();
        let mut now = 1_000.0;
        let (mut gets, mut hits) = (0u64, 0u64);
        for op in ops {
            match op {
                Op::Set { key: k, bytes, ttl, tag } => {
                    let k = key(k);
                    let exp = now + ttl as f64;
                    let tagname = format!("t{tag}");
                    let out = t.insert(&k, bytes as u64, exp, vec![tagname.clone().into()].into());
                    if let Some(i) = m.pos(&k) { m.items.remove(i); }
                    if bytes as u64 <= max_bytes {
                        m.items.push((k.clone(), bytes as u64, exp, tagname));
                        while m.items.len() > max_entries || m.items.iter().map(|i| i.1).sum::<u64>() > max_bytes {
                            m.items.remove(0);
                        }
                        prop_assert!(out.slot.is_some());
                    } else {
                        prop_assert!(out.slot.is_none());
                    }
                }
                Op::Get { key: k } => {
                    let k = key(k);
                    gets += 1;
                    let got = t.get(&k, now);
                    match m.pos(&k) {
                        Some(i) if m.items[i].2 > now => {
                            prop_assert!(matches!(got, Lookup::Hit(_)), "{k} should hit");
                            let it = m.items.remove(i);
                            m.items.push(it);
                            hits += 1;
                        }
                        Some(i) => {
                            prop_assert!(matches!(got, Lookup::Expired(_)), "{k} expired");
                            m.items.remove(i);
                        }
                        None => prop_assert_eq!(got.clone(), Lookup::Miss),
                    }
                    if let Lookup::Hit(s) = got {
                        prop_assert!(t.entry(s).unwrap().expires_at > now, "expired entry returned");
                    }
                }
                Op::Advance { ms } => now += ms as f64,
                Op::Remove { key: k } => {
                    let k = key(k);
                    let r = t.remove(&k);
                    let i = m.pos(&k);
                    prop_assert_eq!(r.is_some(), i.is_some());
                    if let Some(i) = i { m.items.remove(i); }
                }
                Op::Tag { tag } => {
                    let tagname = format!("t{tag}");
                    let n = t.invalidate_tag(&tagname).len();
                    let before = m.items.len();
                    m.items.retain(|i| i.3 != tagname);
                    prop_assert_eq!(n, before - m.items.len());
                }
                Op::Prefix { p } => {
                    let prefix = ["a", "b", "c"][p as usize];
                    let n = t.invalidate_prefix(prefix).len();
                    let before = m.items.len();
                    m.items.retain(|i| !i.0.starts_with(prefix));
                    prop_assert_eq!(n, before - m.items.len());
                }
                Op::Purge => {
                    t.purge_expired(now);
                    m.items.retain(|i| i.2 > now);
                }
                Op::Clear => {
                    t.clear();
                    m.items.clear();
                }
            }
            t.check().map_err(TestCaseError::fail)?;
            let order: Vec<&str> = m.items.iter().map(|i| i.0.as_str()).collect();
            prop_assert_eq!(t.keys_lru(), order);
            let s = t.stats();
            prop_assert!(s.entries <= max_entries as u64 && s.bytes <= max_bytes);
            prop_assert_eq!(s.hits, hits);
            prop_assert_eq!(s.hits + s.misses, gets);
            prop_assert_eq!(s.entries, m.items.len() as u64);
            prop_assert_eq!(s.bytes, m.items.iter().map(|i| i.1).sum::<u64>());
        }
    }

    #[test]
    fn tinylfu_never_exceeds_capacity_nor_returns_expired(
        max_entries in 1usize..8,
        ops in prop::collection::vec(op(), 1..150),
    ) {
        let mut t = MemoryTier::new(max_entries, 1000, Admission::TinyLfu);
        let mut now = 0.0;
        let mut gets = 0;
        for op in ops {
            match op {
                Op::Set { key: k, bytes, ttl, .. } => {
                    t.insert(&key(k), bytes as u64, now + ttl as f64, Box::new([]));
                }
                Op::Get { key: k } => {
                    gets += 1;
                    if let Lookup::Hit(s) = t.get(&key(k), now) {
                        prop_assert!(t.entry(s).unwrap().expires_at > now);
                    }
                }
                Op::Advance { ms } => now += ms as f64,
                Op::Remove { key: k } => { t.remove(&key(k)); }
                Op::Tag { tag } => { t.invalidate_tag(&format!("t{tag}")); }
                Op::Prefix { .. } | Op::Purge => { t.purge_expired(now); }
                Op::Clear => { t.clear(); }
            }
            t.check().map_err(TestCaseError::fail)?;
            let s = t.stats();
            prop_assert_eq!(s.hits + s.misses, gets);
        }
    }

    #[test]
    fn disk_index_stays_within_its_limit(
        max in 100u64..2000,
        writes in prop::collection::vec((0u8..30, 0u16..500, 0u8..3), 1..100),
    ) {
        let mut d = DiskIndex::new(max);
        for (i, (k, bytes, resident)) in writes.into_iter().enumerate() {
            d.put(&key(k), DiskMeta { bytes: bytes as u64, expires_at: f64::INFINITY, accessed_at: i as f64, tags: Box::new([]) });
            let evicted = d.evict_over_limit(|k| k.len() % 3 == resident as usize);
            for k in &evicted { prop_assert!(d.get(k).is_none()); }
            prop_assert!(d.bytes() <= max);
            d.check().map_err(TestCaseError::fail)?;
        }
    }
}
