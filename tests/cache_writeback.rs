//! The disk tier's write-back policy (`cache::writeback`) natively, with a
//! fake store and a fake clock, driven the way the browser adapter drives it
//! (`web/cache/browser.rs`: begin a batch, write it in one transaction,
//! make room once on a quota error, report the outcome). Every storage fault
//! the browser can raise is injected here: quota exceeded, an aborted
//! transaction, a value that cannot be cloned, the database closing
//! mid-flush, a blocked open. A property test compares the write-behind
//! queue against a plain model: the disk plus the unload journal always hold
//! the latest write of every key, and the disk alone does once flushed.
#![cfg(not(target_arch = "wasm32"))]

use flowscale::cache::writeback::{
    Batch, Disk, FlushAt, Match, Op, Outcome, Platform, QueuedRead, Read, Settled, WriteBack,
    Written, BATCH_MAX_BYTES, MAX_ATTEMPTS,
};
use flowscale::cache::{CacheStrategy, DiskMeta};
use flowscale::{ErrorCode, FlowscaleError};
use proptest::prelude::*;
use std::collections::{BTreeMap, VecDeque};

/// Values are strings, waiters and connections are names.
struct Fake;

impl Platform for Fake {
    type Value = String;
    type ForeignKey = u32;
    type Waiter = &'static str;
    type Db = &'static str;
}

type Wb = WriteBack<Fake>;

fn meta(bytes: u64, at: f64, tags: &[&str]) -> DiskMeta {
    DiskMeta {
        bytes,
        expires_at: f64::INFINITY,
        accessed_at: at,
        tags: tags.iter().map(|t| (*t).into()).collect(),
    }
}

fn err(code: ErrorCode) -> FlowscaleError {
    FlowscaleError::new(code, format!("{code:?}"))
}

/// A fault the next transaction meets.
#[derive(Clone, Debug)]
enum Fault {
    /// The transaction aborts (`AbortError`).
    Abort,
    /// The connection was closed under it (`InvalidStateError`).
    Closed,
    /// `put` throws `DataCloneError` for this key: skipped, the rest commits.
    Uncloneable(&'static str),
}

/// IndexedDB as the adapter sees it: records, a quota, injected faults.
#[derive(Default)]
struct Store {
    records: BTreeMap<String, (String, DiskMeta)>,
    foreign: Vec<u32>,
    /// Bytes the origin may use (0: no limit).
    quota: u64,
    faults: VecDeque<Fault>,
    transactions: usize,
    /// Bytes of the values of every put committed (each at its meta's size).
    put_bytes: u64,
}

impl Store {
    fn bytes(records: &BTreeMap<String, (String, DiskMeta)>) -> u64 {
        records.values().map(|(_, m)| m.bytes).sum()
    }

    /// One transaction, all or nothing.
    fn write(&mut self, clear: bool, ops: &[(Box<str>, Op<String>)], foreign: &[u32]) -> Outcome {
        self.transactions += 1;
        let mut uncloneable = None;
        match self.faults.pop_front() {
            Some(Fault::Abort) => return Err(err(ErrorCode::TransactionAborted)),
            Some(Fault::Closed) => return Err(err(ErrorCode::StorageUnavailable)),
            Some(Fault::Uncloneable(k)) => uncloneable = Some(k),
            None => {}
        }
        let mut next = if clear {
            BTreeMap::new()
        } else {
            self.records.clone()
        };
        let mut skipped = Vec::new();
        let mut put_bytes = 0;
        for (i, (k, op)) in ops.iter().enumerate() {
            match op {
                Op::Put { .. } if Some(&**k) == uncloneable => {
                    skipped.push((i, err(ErrorCode::NotCloneable)));
                }
                Op::Put { value, meta } => {
                    put_bytes += meta.bytes;
                    next.insert(k.to_string(), (value.clone(), meta.clone()));
                }
                Op::Meta(m) => {
                    if let Some((_, old)) = next.get_mut(&**k) {
                        *old = m.clone();
                    }
                }
                Op::Delete => {
                    next.remove(&**k);
                }
            }
        }
        if self.quota > 0 && Self::bytes(&next) > self.quota {
            return Err(err(ErrorCode::QuotaExceeded));
        }
        self.records = next;
        self.put_bytes += put_bytes;
        self.foreign.retain(|f| !foreign.contains(f));
        Ok(skipped)
    }

    fn read(&self, key: &str) -> Read<String> {
        match self.records.get(key) {
            Some((value, meta)) => Read::Found {
                value: value.clone(),
                meta: meta.clone(),
            },
            None => Read::Missing,
        }
    }

    fn records(&self) -> Vec<(String, DiskMeta)> {
        self.records
            .iter()
            .map(|(k, (_, m))| (k.clone(), m.clone()))
            .collect()
    }

    fn values(&self) -> BTreeMap<String, String> {
        self.records
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect()
    }
}

/// What the adapter does with the write-back's requests to write, as
/// `flush_inner` does it, minus the awaits.
fn write_batch(wb: &mut Wb, store: &mut Store, batch: &Batch<Fake>) -> Settled {
    let mut outcome = store.write(batch.clear, &batch.ops, &batch.foreign);
    loop {
        match wb.written(outcome) {
            Written::MakeRoom { victims, error } => {
                let room: Vec<(Box<str>, Op<String>)> =
                    victims.into_iter().map(|k| (k, Op::Delete)).collect();
                outcome = match store.write(false, &room, &[]) {
                    Ok(_) => store.write(batch.clear, &batch.ops, &batch.foreign),
                    Err(_) => Err(error),
                };
            }
            Written::Done(s) => {
                if s.failed {
                    wb.reloaded(store.records());
                }
                return s;
            }
        }
    }
}

/// One flush: `None` when nothing was written.
fn flush_once(wb: &mut Wb, store: &mut Store) -> Option<Settled> {
    let batch = wb.begin_flush(|_| false)?;
    Some(write_batch(wb, store, &batch))
}

/// Flush until nothing is left to write (or a transaction fails).
fn flush(wb: &mut Wb, store: &mut Store) {
    while let Some(s) = flush_once(wb, store) {
        if s.failed || s.next.is_none() {
            break;
        }
    }
}

/// A write-back attached to `store`, its index loaded.
fn open(strategy: CacheStrategy, max_bytes: u64, store: &Store) -> Wb {
    let mut wb = Wb::new(strategy, max_bytes);
    wb.attach("db");
    wb.loaded(store.records(), store.foreign.clone(), 0.0, |_| false);
    wb
}

fn codes(events: &[FlowscaleError]) -> Vec<ErrorCode> {
    events.iter().map(|e| e.code).collect()
}

fn settled(wb: &mut Wb) -> Vec<(&'static str, Result<(), ErrorCode>)> {
    wb.take_effects()
        .settled
        .into_iter()
        .map(|(w, r)| (w, r.map_err(|e| e.code)))
        .collect()
}

/// Put `value` under `key` (write-behind: no waiter).
fn put(wb: &mut Wb, key: &str, value: &str, bytes: u64, at: f64) {
    wb.put(key, &value.to_string(), meta(bytes, at, &[]), false, || {
        unreachable!("write-behind does not wait")
    })
    .unwrap();
}

/// Put and wait (write-through), with waiter `name`.
fn put_waiting(
    wb: &mut Wb,
    key: &str,
    value: &str,
    name: &'static str,
) -> Result<(), FlowscaleError> {
    wb.put(key, &value.to_string(), meta(10, 0.0, &[]), true, || name)
}

fn journal(wb: &Wb) -> Option<Vec<(String, Option<String>)>> {
    wb.journal().map(|j| {
        j.into_iter()
            .map(|(k, put)| (k.to_string(), put.map(|(v, _)| v.clone())))
            .collect()
    })
}

#[test]
fn put_put_delete_of_one_key_coalesces_into_one_op() {
    let mut store = Store::default();
    let mut wb = open(CacheStrategy::WriteBehind, 1 << 30, &store);
    put(&mut wb, "k", "v1", 10, 1.0);
    put(&mut wb, "k", "v2", 10, 2.0);
    assert_eq!(wb.pending_writes(), 1);
    assert_eq!(journal(&wb), Some(vec![("k".into(), Some("v2".into()))]));
    wb.delete("k");
    assert_eq!(journal(&wb), Some(vec![("k".into(), None)]));
    let batch = wb.begin_flush(|_| false).unwrap();
    assert_eq!(batch.ops, vec![("k".into(), Op::Delete)]);
    write_batch(&mut wb, &mut store, &batch);
    assert!(store.records.is_empty());

    // A replaced put's bytes leave the batch's count: two 10 MB puts of one
    // key do not make a full batch.
    let big = BATCH_MAX_BYTES * 5 / 8;
    wb.take_effects();
    put(&mut wb, "big", "a", big, 3.0);
    put(&mut wb, "big", "b", big, 4.0);
    assert_eq!(wb.take_effects().flush, Some(FlushAt::Later));
    put(&mut wb, "other", "c", big, 5.0);
    assert_eq!(wb.take_effects().flush, Some(FlushAt::Now));
}

#[test]
fn an_access_time_joins_a_queued_put_and_never_revives_a_delete() {
    let mut store = Store::default();
    store
        .records
        .insert("k".into(), ("v".into(), meta(10, 1.0, &[])));
    store
        .records
        .insert("d".into(), ("v".into(), meta(10, 1.0, &[])));
    let mut wb = open(CacheStrategy::WriteBehind, 1 << 30, &store);
    // Disk reads touch both keys; then `k` is written and `d` deleted.
    for k in ["k", "d"] {
        let QueuedRead::Disk(t) = wb.read(k, 50.0) else {
            panic!("{k} is read from disk")
        };
        assert!(wb.read_done(k, t, Ok(store.read(k)), 50.0).is_some());
    }
    // Two sweeps before a flush: the later access time is the one written.
    wb.loaded(store.records(), Vec::new(), 55.0, |_| false);
    let QueuedRead::Disk(t) = wb.read("k", 58.0) else {
        panic!("k is read from disk")
    };
    assert!(wb.read_done("k", t, Ok(store.read("k")), 58.0).is_some());
    wb.loaded(store.records(), Vec::new(), 59.0, |_| false);
    let batch = wb.begin_flush(|_| false).unwrap();
    let k = batch.ops.iter().find(|(k, _)| &**k == "k").unwrap();
    assert!(matches!(&k.1, Op::Meta(m) if m.accessed_at == 58.0));
    write_batch(&mut wb, &mut store, &batch);
    put(&mut wb, "k", "new", 10, 60.0);
    wb.delete("d");
    // The next sweep writes back access times: they join the put, and the delete stands.
    wb.loaded(store.records(), Vec::new(), 70.0, |_| false);
    let batch = wb.begin_flush(|_| false).unwrap();
    let mut ops = batch.ops.clone();
    ops.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(ops[0], ("d".into(), Op::Delete));
    assert!(matches!(&ops[1], (k, Op::Put { value, .. }) if &**k == "k" && value == "new"));
    write_batch(&mut wb, &mut store, &batch);
    assert_eq!(store.values(), BTreeMap::from([("k".into(), "new".into())]));
}

#[test]
fn write_through_waiters_hear_their_own_outcome() {
    let mut store = Store::default();
    let mut wb = open(CacheStrategy::WriteThrough, 1 << 30, &store);
    put_waiting(&mut wb, "a", "1", "set a").unwrap();
    put_waiting(&mut wb, "b", "2", "set b").unwrap();
    assert!(wb.wait_flushed(|| "flush"));
    assert_eq!(wb.take_effects().flush, Some(FlushAt::Now));
    store.faults.push_back(Fault::Uncloneable("b"));
    let s = flush_once(&mut wb, &mut store).unwrap();
    let fx = wb.take_effects();
    let got: Vec<_> = fx
        .settled
        .iter()
        .map(|(w, r)| (*w, r.as_ref().map_err(|e| (e.code, e.path.clone()))))
        .collect();
    assert_eq!(
        got,
        vec![
            ("set a", Ok(&())),
            ("set b", Err((ErrorCode::NotCloneable, Some("b".into())))),
            ("flush", Ok(&())),
        ]
    );
    assert_eq!(codes(&fx.events), vec![ErrorCode::NotCloneable]);
    // A skipped put deletes an older copy of its key.
    assert_eq!(s.next, Some(FlushAt::Later));
    assert_eq!(journal(&wb), None, "write-through keeps no journal");
    assert!(wb.index().get("b").is_none());
    let stats = wb.index().stats();
    assert_eq!((stats.writes, stats.failed_writes), (1, 1));
    flush(&mut wb, &mut store);
    assert_eq!(store.values(), BTreeMap::from([("a".into(), "1".into())]));
}

#[test]
fn quota_exceeded_frees_the_least_recently_used_quarter_then_retries() {
    let mut store = Store {
        quota: 1000,
        ..Store::default()
    };
    for i in 0..8 {
        let k = format!("old{i}");
        store
            .records
            .insert(k, ("v".into(), meta(100, i as f64, &[])));
    }
    let mut wb = open(CacheStrategy::WriteThrough, 1 << 30, &store);
    // The batch rewrites old0 (the least recently used): it is not a victim.
    wb.put("old0", &"w".to_string(), meta(100, 10.0, &[]), true, || {
        "old0"
    })
    .unwrap();
    wb.put("new", &"n".to_string(), meta(300, 10.0, &[]), true, || {
        "new"
    })
    .unwrap();
    let batch = wb.begin_flush(|_| false).unwrap();
    let first = store.write(batch.clear, &batch.ops, &batch.foreign);
    assert_eq!(first.as_ref().unwrap_err().code, ErrorCode::QuotaExceeded);
    let Written::MakeRoom { victims, error } = wb.written(first) else {
        panic!("asks to make room")
    };
    assert_eq!(error.code, ErrorCode::QuotaExceeded);
    // 1200 bytes indexed (after the batch): down to 900, oldest first, old0 spared.
    assert_eq!(victims, vec!["old1".into(), "old2".into(), "old3".into()]);
    let room: Vec<(Box<str>, Op<String>)> = victims.into_iter().map(|k| (k, Op::Delete)).collect();
    store.write(false, &room, &[]).unwrap();
    let again = store.write(batch.clear, &batch.ops, &batch.foreign);
    assert_eq!(
        wb.written(again),
        Written::Done(Settled {
            failed: false,
            next: None
        })
    );
    assert_eq!(settled(&mut wb), vec![("old0", Ok(())), ("new", Ok(()))]);
    assert_eq!(wb.index().stats().evictions, 3);
    assert_eq!(store.records.len(), 6);
    assert_eq!(store.records["old0"].0, "w");
}

#[test]
fn quota_exceeded_gives_up_and_reports_when_nothing_can_be_freed() {
    // Nothing else on disk: no room to make.
    let mut store = Store {
        quota: 100,
        ..Store::default()
    };
    let mut wb = open(CacheStrategy::WriteThrough, 1 << 30, &store);
    wb.put("big", &"v".to_string(), meta(500, 0.0, &[]), true, || "big")
        .unwrap();
    let s = flush_once(&mut wb, &mut store).unwrap();
    assert!(s.failed);
    assert_eq!(store.transactions, 1, "no second try");
    let fx = wb.take_effects();
    assert_eq!(codes(&fx.events), vec![ErrorCode::QuotaExceeded]);
    assert_eq!(fx.settled.len(), 1);
    assert_eq!(
        fx.settled[0].1.as_ref().unwrap_err().code,
        ErrorCode::QuotaExceeded
    );
    assert_eq!(wb.pending_writes(), 0, "a write-through put is not retried");
    assert_eq!(wb.last_error().unwrap().code, ErrorCode::QuotaExceeded);

    // Room was made once, and the batch still does not fit: that is final too.
    let mut store = Store {
        quota: 250,
        ..Store::default()
    };
    store
        .records
        .insert("old".into(), ("v".into(), meta(100, 0.0, &[])));
    let mut wb = open(CacheStrategy::WriteThrough, 1 << 30, &store);
    wb.put("big", &"v".to_string(), meta(300, 1.0, &[]), true, || "big")
        .unwrap();
    let s = flush_once(&mut wb, &mut store).unwrap();
    assert!(s.failed);
    assert_eq!(store.transactions, 3, "write, make room, write again");
    assert!(!store.records.contains_key("old"));
    assert_eq!(
        settled(&mut wb),
        vec![("big", Err(ErrorCode::QuotaExceeded))]
    );
}

#[test]
fn an_aborted_transaction_keeps_write_behind_writes_then_gives_up() {
    let mut store = Store::default();
    let mut wb = open(CacheStrategy::WriteBehind, 1 << 30, &store);
    put(&mut wb, "w", "kept", 10, 0.0);
    assert_eq!(wb.request_flush(|| "flush"), Ok(true));
    store.faults.push_back(Fault::Abort);
    let s = flush_once(&mut wb, &mut store).unwrap();
    assert_eq!(
        s,
        Settled {
            failed: true,
            next: Some(FlushAt::Later)
        }
    );
    assert_eq!(
        settled(&mut wb),
        vec![("flush", Err(ErrorCode::TransactionAborted))]
    );
    assert_eq!(wb.pending_writes(), 1, "queued again");
    assert_eq!(journal(&wb), Some(vec![("w".into(), Some("kept".into()))]));
    flush(&mut wb, &mut store);
    assert_eq!(store.values()["w"], "kept");

    // MAX_ATTEMPTS failures in a row: dropped, and the event says which key.
    put(&mut wb, "x", "lost", 10, 1.0);
    for _ in 0..MAX_ATTEMPTS {
        store.faults.push_back(Fault::Abort);
        flush_once(&mut wb, &mut store).unwrap();
    }
    assert_eq!(wb.pending_writes(), 0);
    let events = wb.take_effects().events;
    assert_eq!(events.len(), MAX_ATTEMPTS as usize);
    let last = events.last().unwrap();
    assert_eq!(last.code, ErrorCode::TransactionAborted);
    assert!(
        last.message
            .ends_with("gave up writing 1 key(s) after 3 attempts: x"),
        "{}",
        last.message
    );
    assert!(!store.records.contains_key("x"));
}

#[test]
fn a_write_during_the_flight_supersedes_the_retry_of_the_failed_one() {
    let mut store = Store::default();
    let mut wb = open(CacheStrategy::WriteBehind, 1 << 30, &store);
    put(&mut wb, "k", "v1", 10, 0.0);
    let batch = wb.begin_flush(|_| false).unwrap();
    assert!(wb.is_flushing());
    assert!(
        wb.begin_flush(|_| false).is_none(),
        "one transaction at a time"
    );
    assert_eq!(journal(&wb), Some(vec![("k".into(), Some("v1".into()))]));
    put(&mut wb, "k", "v2", 10, 1.0);
    // The in-flight put gives way to the newer one.
    assert_eq!(journal(&wb), Some(vec![("k".into(), Some("v2".into()))]));
    store.faults.push_back(Fault::Abort);
    write_batch(&mut wb, &mut store, &batch);
    assert_eq!(journal(&wb), Some(vec![("k".into(), Some("v2".into()))]));
    flush(&mut wb, &mut store);
    assert_eq!(store.values()["k"], "v2");
}

#[test]
fn the_database_closing_mid_flush_fails_the_flight_and_the_queue() {
    let mut store = Store::default();
    let mut wb = open(CacheStrategy::WriteThrough, 1 << 30, &store);
    put_waiting(&mut wb, "a", "1", "set a").unwrap();
    let batch = wb.begin_flush(|_| false).unwrap();
    // Meanwhile: a delete queues, then another tab opens a newer version
    // (versionchange) and the connection is handed back to be closed.
    wb.delete("gone");
    assert!(wb.wait_flushed(|| "invalidate"));
    let lost = FlowscaleError::new(ErrorCode::StorageUnavailable, "a newer version took over");
    assert_eq!(wb.fail(Disk::Closed, lost), Some("db"));
    assert_eq!(wb.disk().name(), "closed");
    store.faults.push_back(Fault::Closed);
    let s = write_batch(&mut wb, &mut store, &batch);
    assert!(s.failed);
    assert_eq!(
        settled(&mut wb),
        vec![("set a", Err(ErrorCode::StorageUnavailable))]
    );
    // The queue can never be written: its waiters hear now, and it goes.
    assert!(wb.begin_flush(|_| false).is_none());
    assert_eq!(
        settled(&mut wb),
        vec![("invalidate", Err(ErrorCode::StorageUnavailable))]
    );
    assert_eq!(wb.pending_writes(), 0);
    assert_eq!(journal(&wb), None);
    let e = put_waiting(&mut wb, "b", "2", "set b").unwrap_err();
    assert_eq!(e.code, ErrorCode::StorageUnavailable);
    assert!(e.message.starts_with("held in memory only, not on disk: "));
    assert_eq!(
        wb.request_flush(|| "flush").unwrap_err().code,
        ErrorCode::StorageUnavailable
    );
    assert!(!wb.wait_flushed(|| unreachable!()));
}

#[test]
fn a_blocked_open_queues_writes_until_the_database_opens() {
    let mut store = Store::default();
    let mut wb = Wb::new(CacheStrategy::WriteThrough, 1 << 30);
    wb.blocked(err(ErrorCode::StorageBlocked));
    let e = put_waiting(&mut wb, "k", "v", "set k").unwrap_err();
    assert_eq!(e.code, ErrorCode::StorageBlocked);
    assert_eq!(wb.pending_writes(), 1, "written once the database opens");
    assert_eq!(
        wb.request_flush(|| "flush").unwrap_err().code,
        ErrorCode::StorageBlocked
    );
    wb.attach("db");
    assert!(wb.loaded(store.records(), Vec::new(), 0.0, |_| false));
    flush(&mut wb, &mut store);
    assert_eq!(store.values()["k"], "v");
}

#[test]
fn no_disk_tier_queues_nothing() {
    let mut wb = Wb::new(CacheStrategy::WriteBehind, 0);
    assert_eq!(put_waiting(&mut wb, "k", "v", "set"), Ok(()));
    assert_eq!(wb.pending_writes(), 0);
    assert_eq!(wb.read("k", 0.0), QueuedRead::Off);
    assert_eq!(wb.request_flush(|| unreachable!()), Ok(false));
    assert_eq!(journal(&wb), None);
    assert!(wb.take_effects().flush.is_none());
}

#[test]
fn a_value_larger_than_the_disk_tier_deletes_its_older_copy() {
    let mut store = Store::default();
    store
        .records
        .insert("k".into(), ("old".into(), meta(10, 0.0, &[])));
    let mut wb = open(CacheStrategy::WriteThrough, 100, &store);
    let e = wb
        .put(
            "k",
            &"huge".to_string(),
            meta(101, 1.0, &[]),
            true,
            || unreachable!(),
        )
        .unwrap_err();
    assert_eq!(
        (e.code, e.path.as_deref()),
        (ErrorCode::LimitExceeded, Some("k"))
    );
    flush(&mut wb, &mut store);
    assert!(store.records.is_empty());
}

#[test]
fn bytes_written_and_read_count_what_reached_and_left_the_disk() {
    let mut store = Store::default();
    let mut wb = open(CacheStrategy::WriteBehind, 1 << 30, &store);
    put(&mut wb, "a", "va", 100, 0.0);
    put(&mut wb, "b", "vb", 250, 0.0);
    put(&mut wb, "c", "vc", 40, 0.0);
    // The uncloneable value is skipped: its bytes never reach the disk.
    store.faults.push_back(Fault::Uncloneable("c"));
    flush(&mut wb, &mut store);
    assert_eq!(store.put_bytes, 350);
    assert_eq!(wb.index().stats().bytes_written, 350);
    // An aborted transaction writes nothing; its retry writes once.
    put(&mut wb, "d", "vd", 1000, 1.0);
    store.faults.push_back(Fault::Abort);
    flush_once(&mut wb, &mut store).unwrap();
    assert_eq!(wb.index().stats().bytes_written, 350);
    flush(&mut wb, &mut store);
    assert_eq!(store.put_bytes, 1350);
    assert_eq!(wb.index().stats().bytes_written, 1350);
    // Deletes and access-time updates move no value.
    wb.delete("b");
    flush(&mut wb, &mut store);
    assert_eq!(wb.index().stats().bytes_written, store.put_bytes);
    // A disk read counts the value's bytes; an answer from the queue reads nothing.
    let QueuedRead::Disk(t) = wb.read("a", 2.0) else {
        panic!("read from disk")
    };
    let found = wb.read_done("a", t, Ok(store.read("a")), 2.0).unwrap();
    assert_eq!(found.meta.bytes, 100);
    put(&mut wb, "e", "ve", 7, 3.0);
    assert!(matches!(wb.read("e", 3.0), QueuedRead::Hit(..)));
    let QueuedRead::Disk(t) = wb.read("missing", 3.0) else {
        panic!("read from disk")
    };
    assert_eq!(
        wb.read_done("missing", t, Ok(store.read("missing")), 3.0),
        None
    );
    let s = wb.index().stats();
    assert_eq!((s.bytes_read, s.bytes_written), (100, 1350));
}

#[test]
fn a_disk_read_is_stale_after_any_write_or_invalidation() {
    let mut store = Store::default();
    store
        .records
        .insert("k".into(), ("v".into(), meta(10, 0.0, &["t"])));
    let mut wb = open(CacheStrategy::WriteBehind, 1 << 30, &store);
    let read = |wb: &mut Wb, store: &Store| {
        let QueuedRead::Disk(t) = wb.read("k", 1.0) else {
            panic!("read from disk")
        };
        (t, Ok(store.read("k")))
    };
    let (t, r) = read(&mut wb, &store);
    assert!(wb.read_done("k", t, r, 1.0).unwrap().fresh);
    type Change = fn(&mut Wb);
    let changes: [(&str, Change); 7] = [
        ("a put of another key", |wb| put(wb, "x", "v", 1, 2.0)),
        ("an invalidation", |wb| wb.delete("y")),
        ("a tag invalidation", |wb| {
            wb.invalidate_queued(Match::Tag("none"));
        }),
        ("a clear", |wb| wb.clear()),
        ("another tab's put", |wb| {
            wb.remote_put("z", meta(1, 2.0, &[]))
        }),
        ("another tab's delete", |wb| wb.remote_delete("z")),
        ("another tab's clear", |wb| wb.remote_clear()),
    ];
    for (what, change) in changes {
        let mut wb = open(CacheStrategy::WriteBehind, 1 << 30, &store);
        let (t, r) = read(&mut wb, &store);
        change(&mut wb);
        let found = wb.read_done("k", t, r, 2.0).unwrap();
        assert_eq!(found.value, "v");
        assert!(!found.fresh, "{what} makes the read stale");
    }
}

#[test]
fn reads_answer_from_the_queue_first() {
    let mut store = Store::default();
    store
        .records
        .insert("k".into(), ("disk".into(), meta(10, 0.0, &[])));
    let mut wb = open(CacheStrategy::WriteBehind, 1 << 30, &store);
    put(&mut wb, "k", "queued", 10, 1.0);
    assert!(matches!(wb.read("k", 2.0), QueuedRead::Hit(v, _) if v == "queued"));
    wb.delete("k");
    assert_eq!(wb.read("k", 2.0), QueuedRead::Miss);
    flush(&mut wb, &mut store);
    wb.clear();
    assert_eq!(wb.read("other", 2.0), QueuedRead::Miss, "a queued clear");
    let s = wb.index().stats();
    assert_eq!((s.hits, s.misses), (1, 2));
}

#[test]
fn expired_and_corrupt_records_read_as_misses_and_are_deleted() {
    let mut store = Store::default();
    let mut m = meta(10, 0.0, &[]);
    m.expires_at = 100.0;
    store.records.insert("old".into(), ("v".into(), m));
    let mut wb = open(CacheStrategy::WriteBehind, 1 << 30, &store);
    let QueuedRead::Disk(t) = wb.read("old", 200.0) else {
        panic!()
    };
    assert_eq!(wb.read_done("old", t, Ok(store.read("old")), 200.0), None);
    assert_eq!(wb.index().stats().expirations, 1);
    let QueuedRead::Disk(t) = wb.read("bad", 200.0) else {
        panic!()
    };
    assert_eq!(wb.read_done("bad", t, Ok(Read::Corrupt), 200.0), None);
    let fx = wb.take_effects();
    assert_eq!(codes(&fx.events), vec![ErrorCode::CorruptRecord]);
    assert_eq!(fx.flush, Some(FlushAt::Now));
    assert_eq!(
        journal(&wb).map(|mut j| {
            j.sort();
            j
        }),
        Some(vec![("bad".into(), None), ("old".into(), None)])
    );
    // A failed read batch is reported once, not once per key.
    let e = err(ErrorCode::TransactionAborted);
    for k in ["a", "b"] {
        let QueuedRead::Disk(t) = wb.read(k, 200.0) else {
            panic!()
        };
        assert_eq!(wb.read_done(k, t, Err(e.clone()), 200.0), None);
    }
    assert_eq!(wb.take_effects().events.len(), 1);
}

#[test]
fn maintenance_deletes_expired_foreign_and_over_limit_records() {
    let mut store = Store::default();
    let mut expired = meta(10, 1.0, &[]);
    expired.expires_at = 50.0;
    store
        .records
        .insert("expired".into(), ("v".into(), expired));
    for (k, at) in [("a", 2.0), ("b", 3.0), ("c", 4.0)] {
        store
            .records
            .insert(k.into(), ("v".into(), meta(40, at, &[])));
    }
    store.foreign = vec![7, 8];
    let mut wb = Wb::new(CacheStrategy::WriteBehind, 100);
    wb.attach("db");
    // Over the limit by 20: `a` is older, but memory holds it, so `b` goes.
    assert!(wb.loaded(store.records(), store.foreign.clone(), 100.0, |k| k == "a"));
    let fx = wb.take_effects();
    assert_eq!(codes(&fx.events), vec![ErrorCode::CorruptRecord]);
    assert!(fx.events[0].message.starts_with("2 record(s)"));
    flush(&mut wb, &mut store);
    assert_eq!(store.records.keys().collect::<Vec<_>>(), ["a", "c"]);
    assert!(store.foreign.is_empty());
    let s = wb.index().stats();
    assert_eq!((s.expirations, s.evictions, s.corrupt), (1, 1, 2));
}

#[test]
fn journal_holds_queued_and_in_flight_writes_for_write_behind_with_a_disk() {
    let mut store = Store::default();
    let mut wb = open(CacheStrategy::WriteBehind, 1 << 30, &store);
    assert_eq!(journal(&wb), Some(vec![]));
    put(&mut wb, "a", "1", 10, 0.0);
    let batch = wb.begin_flush(|_| false).unwrap();
    put(&mut wb, "b", "2", 10, 1.0);
    wb.delete("c");
    let mut j = journal(&wb).unwrap();
    j.sort();
    assert_eq!(
        j,
        vec![
            ("a".into(), Some("1".into())),
            ("b".into(), Some("2".into())),
            ("c".into(), None)
        ]
    );
    // A queued clear() outdates what is in flight.
    wb.clear();
    assert_eq!(journal(&wb), Some(vec![]));
    write_batch(&mut wb, &mut store, &batch);

    // Cache-aside writes behind too; write-through and no disk keep none.
    let wb = open(CacheStrategy::CacheAside, 1 << 30, &store);
    assert_eq!(journal(&wb), Some(vec![]));
    let wb = open(CacheStrategy::WriteThrough, 1 << 30, &store);
    assert_eq!(journal(&wb), None);
    let wb = Wb::new(CacheStrategy::WriteBehind, 0);
    assert_eq!(journal(&wb), None);
}

#[test]
fn replay_skips_entries_the_disk_has_seen_since() {
    let mut store = Store::default();
    store
        .records
        .insert("k".into(), ("v".into(), meta(10, 5000.0, &[])));
    let wb = open(CacheStrategy::WriteBehind, 1 << 30, &store);
    assert!(wb.seen_since("k", 4000.0), "written later by another tab");
    assert!(!wb.seen_since("k", 6000.0));
    assert!(!wb.seen_since("unknown", 0.0));
}

#[test]
fn tag_invalidation_reaches_queued_in_flight_and_stored_entries() {
    let mut store = Store::default();
    store
        .records
        .insert("stored".into(), ("v".into(), meta(10, 0.0, &["t"])));
    let mut wb = open(CacheStrategy::WriteBehind, 1 << 30, &store);
    wb.put("flying", &"v".into(), meta(10, 1.0, &["t"]), false, || "")
        .unwrap();
    let batch = wb.begin_flush(|_| false).unwrap();
    wb.put("queued", &"v".into(), meta(10, 2.0, &["t"]), false, || "")
        .unwrap();
    put(&mut wb, "other", "v", 10, 3.0);
    let mut first = wb.invalidate_queued(Match::Tag("t"));
    first.sort();
    assert_eq!(first, vec!["queued".into()]);
    write_batch(&mut wb, &mut store, &batch);
    let mut second = wb.invalidate_indexed(Match::Tag("t"));
    second.sort();
    assert_eq!(second, vec!["flying".into(), "stored".into()]);
    flush(&mut wb, &mut store);
    assert_eq!(store.records.keys().collect::<Vec<_>>(), ["other"]);
}

#[test]
fn tag_invalidation_spares_a_newer_put_that_no_longer_carries_the_tag() {
    let mut store = Store::default();
    store
        .records
        .insert("k".into(), ("old".into(), meta(10, 0.0, &["t"])));
    let mut wb = open(CacheStrategy::WriteBehind, 1 << 30, &store);
    wb.put("k", &"new".into(), meta(10, 1.0, &["u"]), false, || "")
        .unwrap();
    assert!(wb.invalidate_queued(Match::Tag("t")).is_empty());
    // The adapter reloads the index in between: the disk's `k` is tagged `t`.
    wb.loaded(store.records(), Vec::new(), 2.0, |_| false);
    assert!(wb.invalidate_indexed(Match::Tag("t")).is_empty());
    flush(&mut wb, &mut store);
    assert_eq!(store.values()["k"], "new");
}

#[test]
fn a_sweep_during_a_flight_keeps_the_flight_in_the_index() {
    let mut store = Store::default();
    let mut wb = open(CacheStrategy::WriteBehind, 1 << 30, &store);
    wb.put("k", &"v".into(), meta(10, 1.0, &["t"]), false, || "")
        .unwrap();
    let batch = wb.begin_flush(|_| false).unwrap();
    // The sweep read the disk before the transaction committed.
    wb.loaded(store.records(), Vec::new(), 2.0, |_| false);
    assert!(wb.index().get("k").is_some());
    write_batch(&mut wb, &mut store, &batch);
    assert_eq!(wb.invalidate_indexed(Match::Tag("t")), vec!["k".into()]);
    flush(&mut wb, &mut store);
    assert!(store.records.is_empty());
}

// ---- against a model ----

#[derive(Clone, Debug)]
enum Step {
    Put {
        key: u8,
        value: u8,
    },
    Delete {
        key: u8,
    },
    Tag {
        tag: u8,
    },
    Clear,
    /// A sweep reloads the index from the disk (a transaction may be in flight).
    Sweep,
    /// Take the queue as a transaction (when none is in flight).
    Begin,
    /// The transaction in flight ends, aborted or committed.
    End {
        abort: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0u8..8, any::<u8>()).prop_map(|(key, value)| Step::Put { key, value }),
        2 => (0u8..8).prop_map(|key| Step::Delete { key }),
        1 => (0u8..2).prop_map(|tag| Step::Tag { tag }),
        1 => Just(Step::Clear),
        1 => Just(Step::Sweep),
        3 => Just(Step::Begin),
        3 => any::<bool>().prop_map(|abort| Step::End { abort }),
    ]
}

fn key(k: u8) -> String {
    format!("k{k}")
}

fn tag(k: u8) -> String {
    format!("t{}", k % 2)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Write-behind with transactions in flight and aborts (fewer than
    /// MAX_ATTEMPTS, so nothing is given up): the disk plus the journal
    /// always hold the latest write of every key (until a clear(), which the
    /// journal does not record), and the disk alone does once flushed.
    #[test]
    fn write_behind_matches_a_last_write_wins_model(steps in prop::collection::vec(step(), 1..80)) {
        let mut store = Store::default();
        let mut wb = open(CacheStrategy::WriteBehind, 1 << 30, &store);
        let mut model: BTreeMap<String, String> = BTreeMap::new();
        let mut tags: BTreeMap<String, String> = BTreeMap::new();
        let mut flight: Option<Batch<Fake>> = None;
        let mut aborts = 0;
        let mut cleared = false;
        let mut t = 0.0;
        for s in steps {
            t += 1.0;
            match s {
                Step::Put { key: k, value } => {
                    let (k, v) = (key(k), value.to_string());
                    let tg = tag(value);
                    wb.put(&k, &v, meta(1 + u64::from(value), t, &[&tg]), false, || "").unwrap();
                    model.insert(k.clone(), v);
                    tags.insert(k, tg);
                }
                Step::Delete { key: k } => {
                    wb.delete(&key(k));
                    model.remove(&key(k));
                }
                Step::Tag { tag: g } => {
                    let g = format!("t{g}");
                    wb.invalidate_queued(Match::Tag(&g));
                    wb.invalidate_indexed(Match::Tag(&g));
                    model.retain(|k, _| tags.get(k) != Some(&g));
                }
                Step::Clear => {
                    wb.clear();
                    model.clear();
                    cleared = true;
                }
                Step::Sweep => {
                    wb.loaded(store.records(), Vec::new(), t, |_| false);
                }
                Step::Begin => {
                    if flight.is_none() {
                        flight = wb.begin_flush(|_| false);
                    }
                }
                Step::End { abort } => {
                    if let Some(batch) = flight.take() {
                        let fault = abort && aborts + 1 < MAX_ATTEMPTS;
                        if fault {
                            aborts += 1;
                            store.faults.push_back(Fault::Abort);
                        }
                        prop_assert_eq!(write_batch(&mut wb, &mut store, &batch).failed, fault);
                    }
                }
            }
            wb.index().check().map_err(TestCaseError::fail)?;
            prop_assert_eq!(wb.index().stats().bytes_written, store.put_bytes, "bytes written");
            if !cleared {
                let mut seen = store.values();
                for (k, v) in journal(&wb).unwrap() {
                    match v {
                        Some(v) => seen.insert(k, v),
                        None => seen.remove(&k),
                    };
                }
                prop_assert_eq!(&seen, &model, "disk + journal");
            }
        }
        if let Some(batch) = flight.take() {
            write_batch(&mut wb, &mut store, &batch);
        }
        flush(&mut wb, &mut store);
        prop_assert_eq!(wb.pending_writes(), 0);
        prop_assert_eq!(store.values(), model, "disk once flushed");
        prop_assert_eq!(wb.index().len(), store.records.len());
    }
}
