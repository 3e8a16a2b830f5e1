//! Native benchmarks of the cache policy (`cargo bench --bench cache`), and
//! the case for our own recency list over the `lru` crate: the memory tier's
//! hit path arrives with a slot number (found in a JS `Map`), and a keyed LRU
//! crate has no handle to move an entry by, so it must hash again.
//!
//! - `hit by slot`: `MemoryTier::hit(slot)`: expiry check, recency move, counters.
//! - `lru::LruCache<u32, ()>::get(slot)`: the crate's cheapest equivalent (a u32 key).
//! - `by key`: `MemoryTier::get(key)` vs `lru::LruCache<String, u32>::get(key)`, both hashing a string.
//! - a Zipf(1.0) request trace over 100,000 keys, capacity 10,000 (get, insert on a miss).

use criterion::{criterion_group, criterion_main, Criterion};
use flowscale::cache::{Admission, Lookup, MemoryTier};
use std::hint::black_box;
use std::num::NonZeroUsize;

const KEYS: usize = 100_000;
const CAP: usize = 10_000;

/// Zipf(1.0) ranks over `n` keys (xorshift, fixed seed).
fn zipf(n: usize, len: usize, seed: u64) -> Vec<usize> {
    let mut cdf = Vec::with_capacity(n);
    let mut sum = 0.0;
    for i in 0..n {
        sum += 1.0 / (i as f64 + 1.0);
        cdf.push(sum);
    }
    let mut x = seed;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let r = (x >> 11) as f64 / (1u64 << 53) as f64 * sum;
            cdf.partition_point(|&c| c < r).min(n - 1)
        })
        .collect()
}

fn name(i: usize) -> String {
    format!("workflow:{}", (i * 48271) % KEYS)
}

fn hit_path(c: &mut Criterion) {
    let hot = zipf(CAP, 1 << 16, 11);
    let mut g = c.benchmark_group("hit path (10,000 resident)");
    let mut tier = MemoryTier::new(CAP, u64::MAX, Admission::Lru);
    let slots: Vec<u32> = (0..CAP)
        .map(|i| {
            tier.insert(&name(i), 1, f64::INFINITY, Box::new([]))
                .slot
                .unwrap()
        })
        .collect();
    let trace: Vec<u32> = hot.iter().map(|&i| slots[i]).collect();
    g.bench_function("MemoryTier::hit by slot", |b| {
        b.iter(|| {
            for &s in &trace {
                black_box(tier.hit(s, 0.0));
            }
        })
    });
    let mut crate_u32 = lru::LruCache::<u32, ()>::new(NonZeroUsize::new(CAP).unwrap());
    for &s in &slots {
        crate_u32.put(s, ());
    }
    g.bench_function("lru::LruCache<u32>::get", |b| {
        b.iter(|| {
            for &s in &trace {
                black_box(crate_u32.get(&s));
            }
        })
    });
    let keys: Vec<String> = hot.iter().map(|&i| name(i)).collect();
    g.bench_function("MemoryTier::get by key", |b| {
        b.iter(|| {
            for k in &keys {
                black_box(tier.get(k, 0.0));
            }
        })
    });
    let mut crate_str = lru::LruCache::<String, u32>::new(NonZeroUsize::new(CAP).unwrap());
    for i in 0..CAP {
        crate_str.put(name(i), i as u32);
    }
    g.bench_function("lru::LruCache<String>::get", |b| {
        b.iter(|| {
            for k in &keys {
                black_box(crate_str.get(k));
            }
        })
    });
    g.finish();
}

fn zipf_workload(c: &mut Criterion) {
    let trace: Vec<String> = zipf(KEYS, 1 << 17, 7).into_iter().map(name).collect();
    let mut g = c.benchmark_group("Zipf(1.0) get + insert on miss");
    for (label, adm) in [
        ("MemoryTier LRU", Admission::Lru),
        ("MemoryTier TinyLFU", Admission::TinyLfu),
    ] {
        let mut t = MemoryTier::new(CAP, u64::MAX, adm);
        g.bench_function(label, |b| {
            b.iter(|| {
                for k in &trace {
                    if !matches!(t.get(k, 0.0), Lookup::Hit(_)) {
                        black_box(t.insert(k, 1, f64::INFINITY, Box::new([])));
                    }
                }
            })
        });
    }
    let mut l = lru::LruCache::<String, u32>::new(NonZeroUsize::new(CAP).unwrap());
    g.bench_function("lru::LruCache<String>", |b| {
        b.iter(|| {
            for k in &trace {
                if l.get(k).is_none() {
                    black_box(l.put(k.clone(), 1));
                }
            }
        })
    });
    g.finish();
}

criterion_group!(benches, hit_path, zipf_workload);
criterion_main!(benches);
