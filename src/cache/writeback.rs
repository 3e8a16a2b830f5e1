//! The disk tier's write-back policy, platform-free: what is queued for
//! IndexedDB and how writes coalesce, when a batch is flushed, what happens
//! to a batch that fails (retries, quota, an aborted transaction, a closed
//! database), who waits for a commit, which disk reads are stale, and what
//! the unload journal must keep.
//!
//! A sans-IO state machine: it never performs I/O and never awaits. The
//! adapter (`web/cache/browser.rs`) takes a `Batch` from `begin_flush`,
//! writes it in one transaction and hands the outcome to `written`; it
//! reads the disk after `read` and reports through `read_done`. Effects the
//! adapter must carry out (events to emit, waiters to settle, a flush to
//! schedule) collect in an outbox (`take_effects`). Time is the caller's
//! (`now`, milliseconds). Why not a storage trait the policy calls into:
//! the browser's storage is asynchronous and user code may re-enter the
//! cache at every await, so a policy that awaited would hold its state
//! across user code; as a state machine it holds nothing across an await,
//! and tests interleave a flush with writes, closes and faults at will with
//! no executor.
//!
//! Values, waiters, foreign keys and the connection stay opaque: the
//! platform names their types (`Platform`) and gets them back as it gave them.

use super::{CacheStrategy, DiskIndex, DiskMeta};
use crate::error::{ErrorCode, FlowscaleError, Result};
use foldhash::fast::FixedState;
use hashbrown::HashMap;

/// Write-behind batches are flushed early past this many entries or bytes.
pub const BATCH_MAX_OPS: usize = 512;
pub const BATCH_MAX_BYTES: u64 = 16 << 20;
/// A failed write-behind entry is retried this many times, then dropped (with an event).
pub const MAX_ATTEMPTS: u8 = 3;

/// The platform's handles, kept and handed back, never looked into.
pub trait Platform {
    /// A cached value.
    type Value: Clone;
    /// The key of a record the cache did not write (not a string), to delete.
    type ForeignKey;
    /// Someone waiting for a commit (a promise's resolve and reject).
    type Waiter;
    /// An open database connection.
    type Db: Clone;
}

/// Where the disk tier stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Disk<D> {
    /// `diskMaxMb: 0`: memory only, by configuration.
    Off,
    /// Waiting for another tab to close an older version.
    Blocked,
    Open(D),
    /// Failed to open (or IndexedDB missing).
    Unavailable,
    /// Was open; closed by a newer version elsewhere, the browser, or `close()`.
    Closed,
}

impl<D> Disk<D> {
    pub fn name(&self) -> &'static str {
        match self {
            Disk::Off => "off",
            Disk::Blocked => "blocked",
            Disk::Open(_) => "ok",
            Disk::Unavailable => "unavailable",
            Disk::Closed => "closed",
        }
    }

    fn is_open(&self) -> bool {
        matches!(self, Disk::Open(_))
    }

    /// Open or about to be: writes queued now will be written.
    fn takes_writes(&self) -> bool {
        matches!(self, Disk::Open(_) | Disk::Blocked)
    }
}

/// One key's write in a transaction.
#[derive(Clone, Debug, PartialEq)]
pub enum Op<V> {
    Put {
        value: V,
        meta: DiskMeta,
    },
    /// A new access time only.
    Meta(DiskMeta),
    Delete,
}

/// What a disk read found.
#[derive(Clone, Debug, PartialEq)]
pub enum Read<V> {
    Missing,
    Found {
        value: V,
        meta: DiskMeta,
    },
    /// A record exists but is not one of ours (or only half of it).
    Corrupt,
}

/// Entries tagged `Tag`, or whose key starts with `Prefix`.
#[derive(Clone, Copy, Debug)]
pub enum Match<'a> {
    Tag(&'a str),
    Prefix(&'a str),
}

impl Match<'_> {
    pub fn hits(&self, key: &str, tags: &[Box<str>]) -> bool {
        match *self {
            Match::Tag(t) => tags.iter().any(|x| &**x == t),
            Match::Prefix(p) => key.starts_with(p),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FlushAt {
    /// On the write-behind timer (`flushIntervalMs`).
    Later,
    /// At once (someone waits, or the batch is full).
    Now,
}

/// What the adapter must do once its state is no longer borrowed.
pub struct Effects<W> {
    /// Storage faults, for the app's error listener (`last_error` is the latest).
    pub events: Vec<FlowscaleError>,
    /// Waiters whose writes committed (`Ok`) or failed.
    pub settled: Vec<(W, Result<()>)>,
    pub flush: Option<FlushAt>,
}

impl<W> Default for Effects<W> {
    fn default() -> Self {
        Effects {
            events: Vec::new(),
            settled: Vec::new(),
            flush: None,
        }
    }
}

/// A transaction to run: clear both stores first when `clear`, then `ops`
/// in order, then delete the `foreign` records.
pub struct Batch<P: Platform> {
    pub db: P::Db,
    pub clear: bool,
    pub ops: Vec<(Box<str>, Op<P::Value>)>,
    pub foreign: Vec<P::ForeignKey>,
}

/// The outcome of a batch's transaction: the ops (by index) skipped because
/// their value could not be stored (the rest committed), or the error that
/// aborted it.
pub type Outcome = Result<Vec<(usize, FlowscaleError)>>;

/// What `written` asks for next.
#[derive(Debug, PartialEq)]
pub enum Written {
    /// The quota is below `diskMaxMb`: delete `victims` (the least recently
    /// used quarter of the disk tier, none of the batch) in a transaction of
    /// their own; once that commits, write the same batch again and report
    /// its outcome to `written`; if it fails, report `Err(error)`.
    MakeRoom {
        victims: Vec<Box<str>>,
        error: FlowscaleError,
    },
    /// The batch is settled (effects in the outbox).
    Done(Settled),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settled {
    /// The transaction failed: the index may disagree with the disk; reload it.
    pub failed: bool,
    /// When to flush again, if anything is queued.
    pub next: Option<FlushAt>,
}

/// A disk read in progress; see `read_done`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadTicket(u64);

/// What `read` found before reaching the disk.
#[derive(Debug, PartialEq)]
pub enum QueuedRead<V> {
    /// No disk tier (by configuration): a miss, not counted.
    Off,
    /// A queued put (hold it in memory).
    Hit(V, DiskMeta),
    /// A queued delete or clear, or the disk is not open.
    Miss,
    /// Read the disk, then report through `read_done`.
    Disk(ReadTicket),
}

/// A disk hit, from `read_done`.
#[derive(Debug, PartialEq)]
pub struct Found<V> {
    pub value: V,
    pub meta: DiskMeta,
    /// Nothing was written or invalidated since the read began: the value
    /// may be promoted into memory.
    pub fresh: bool,
}

/// One journal entry: a put (value and meta) or a delete (`None`).
pub type JournalEntry<'a, V> = (&'a str, Option<(&'a V, &'a DiskMeta)>);

struct Pending<V> {
    op: Op<V>,
    attempts: u8,
}

struct Waiting<W> {
    /// Set for a write-through `set`: rejected alone if its value cannot be stored.
    key: Option<Box<str>>,
    waiter: W,
}

/// What the next transaction will do.
struct Queue<P: Platform> {
    clear: bool,
    ops: HashMap<Box<str>, Pending<P::Value>, FixedState>,
    foreign: Vec<P::ForeignKey>,
    waiters: Vec<Waiting<P::Waiter>>,
    /// Bytes of the queued puts.
    bytes: u64,
    /// Someone waits: flush now rather than on the write-behind timer.
    urgent: bool,
}

impl<P: Platform> Default for Queue<P> {
    fn default() -> Self {
        Queue {
            clear: false,
            ops: HashMap::with_hasher(FixedState::default()),
            foreign: Vec::new(),
            waiters: Vec::new(),
            bytes: 0,
            urgent: false,
        }
    }
}

impl<P: Platform> Queue<P> {
    fn is_empty(&self) -> bool {
        !self.clear && self.ops.is_empty() && self.foreign.is_empty() && self.waiters.is_empty()
    }

    /// Queue `op` for `key`: it replaces what is queued for the key, except
    /// that an access time never replaces a put or a delete (a put takes it).
    fn put(&mut self, key: &str, op: Op<P::Value>) {
        self.requeue(key, Pending { op, attempts: 0 });
    }

    fn requeue(&mut self, key: &str, p: Pending<P::Value>) {
        if let Some(old) = self.ops.get_mut(key) {
            match (&mut old.op, &p.op) {
                (Op::Put { meta, .. }, Op::Meta(m)) => {
                    meta.accessed_at = m.accessed_at;
                    return;
                }
                (Op::Delete, Op::Meta(_)) => return,
                _ => {}
            }
        }
        if let Op::Put { meta, .. } = &p.op {
            self.bytes += meta.bytes;
        }
        if let Some(Pending {
            op: Op::Put { meta, .. },
            ..
        }) = self.ops.insert(key.into(), p)
        {
            self.bytes -= meta.bytes;
        }
    }
}

/// The transaction in flight.
struct Flight<P: Platform> {
    clear: bool,
    ops: Vec<(Box<str>, Pending<P::Value>)>,
    waiters: Vec<Waiting<P::Waiter>>,
    /// Room was made once already (a second quota error is final).
    made_room: bool,
}

/// The disk tier's state: the index of what it holds, the queue, the
/// transaction in flight, and the connection.
pub struct WriteBack<P: Platform> {
    strategy: CacheStrategy,
    index: DiskIndex,
    disk: Disk<P::Db>,
    queue: Queue<P>,
    flight: Option<Flight<P>>,
    /// Bumped by every write and invalidation: a disk read that started
    /// before one is not promoted into memory (it may be stale).
    gen: u64,
    last_error: Option<FlowscaleError>,
    out: Effects<P::Waiter>,
}

impl<P: Platform> WriteBack<P> {
    /// A disk tier of at most `max_bytes`, `Off` until `attach` or `blocked`.
    pub fn new(strategy: CacheStrategy, max_bytes: u64) -> Self {
        WriteBack {
            strategy,
            index: DiskIndex::new(max_bytes),
            disk: Disk::Off,
            queue: Queue::default(),
            flight: None,
            gen: 0,
            last_error: None,
            out: Effects::default(),
        }
    }

    pub fn disk(&self) -> &Disk<P::Db> {
        &self.disk
    }

    /// The connection, when the disk tier is open.
    pub fn db(&self) -> Option<P::Db> {
        match &self.disk {
            Disk::Open(db) => Some(db.clone()),
            _ => None,
        }
    }

    pub fn index(&self) -> &DiskIndex {
        &self.index
    }

    pub fn pending_writes(&self) -> usize {
        self.queue.ops.len()
    }

    pub fn last_error(&self) -> Option<&FlowscaleError> {
        self.last_error.as_ref()
    }

    pub fn is_flushing(&self) -> bool {
        self.flight.is_some()
    }

    /// What the adapter must do now (events, waiters, a flush).
    pub fn take_effects(&mut self) -> Effects<P::Waiter> {
        std::mem::take(&mut self.out)
    }

    /// A storage fault: the latest error, and an event.
    pub fn report(&mut self, e: FlowscaleError) {
        self.last_error = Some(e.clone());
        self.out.events.push(e);
    }

    fn flush(&mut self, at: FlushAt) {
        self.out.flush = self.out.flush.max(Some(at));
    }

    // ---- the connection ----

    /// Opening waits for another tab: writes queue until `attach`.
    pub fn blocked(&mut self, e: FlowscaleError) {
        self.disk = Disk::Blocked;
        self.report(e);
    }

    /// The database opened: go online (load the index next, see `loaded`).
    pub fn attach(&mut self, db: P::Db) {
        self.disk = Disk::Open(db);
    }

    /// The disk tier failed or was lost (`to`: `Unavailable` or `Closed`).
    /// Returns the connection to close, if one was open.
    pub fn fail(&mut self, to: Disk<P::Db>, e: FlowscaleError) -> Option<P::Db> {
        let old = std::mem::replace(&mut self.disk, to);
        self.report(e);
        match old {
            Disk::Open(db) => Some(db),
            _ => None,
        }
    }

    /// `close()`: returns the connection to close, if one was open.
    pub fn shut(&mut self) -> Option<P::Db> {
        if matches!(self.disk, Disk::Off) {
            return None;
        }
        match std::mem::replace(&mut self.disk, Disk::Closed) {
            Disk::Open(db) => Some(db),
            _ => None,
        }
    }

    // ---- maintenance ----

    /// The database's records as loaded (on open and every sweep; other tabs
    /// write too): replace the index, and queue deletes for what expired,
    /// for the records that are not ours (`foreign`: another shape, or half
    /// a record) and for what exceeds the size limit (entries memory does not
    /// hold go first), and the access times not yet written. True when
    /// something is queued: flush now.
    pub fn loaded(
        &mut self,
        records: Vec<(String, DiskMeta)>,
        foreign: Vec<P::ForeignKey>,
        now: f64,
        in_memory: impl Fn(&str) -> bool,
    ) -> bool {
        let touched = self.index.take_touched();
        self.replace_index(records);
        // Access times read here but not yet written win over the stored ones.
        for (k, m) in touched {
            if self.index.get(&k).is_some() {
                self.index.touch(&k, m.accessed_at);
            }
        }
        for k in self.index.take_expired(now) {
            self.queue.put(&k, Op::Delete);
        }
        if !foreign.is_empty() {
            self.index.stats.corrupt += foreign.len() as u64;
            self.report(FlowscaleError::new(
                ErrorCode::CorruptRecord,
                format!(
                    "{} record(s) in the cache database were not written by flowscale or are incomplete; deleted",
                    foreign.len()
                ),
            ));
            self.queue.foreign.extend(foreign);
        }
        for k in self.index.evict_over_limit(in_memory) {
            self.queue.put(&k, Op::Delete);
        }
        for (k, m) in self.index.take_touched() {
            self.queue.put(&k, Op::Meta(m));
        }
        !self.queue.is_empty()
    }

    /// After a failed transaction: the records as loaded.
    pub fn reloaded(&mut self, records: Vec<(String, DiskMeta)>) {
        self.replace_index(records);
    }

    /// The index becomes the disk's records, plus what the transaction in
    /// flight will leave on disk (the records were read before it commits).
    fn replace_index(&mut self, records: Vec<(String, DiskMeta)>) {
        self.index.replace_all(records);
        if let Some(f) = &self.flight {
            follow(&mut self.index, f.clear, &f.ops);
        }
    }

    // ---- reads ----

    /// A memory miss for `key`: answer from the queue, or read the disk.
    pub fn read(&mut self, key: &str, now: f64) -> QueuedRead<P::Value> {
        if let Disk::Off = self.disk {
            return QueuedRead::Off;
        }
        match self.queue.ops.get(key).map(|p| &p.op) {
            Some(Op::Put { value, meta }) if meta.expires_at > now => {
                self.index.stats.hits += 1;
                return QueuedRead::Hit(value.clone(), meta.clone());
            }
            Some(Op::Put { .. } | Op::Delete) => {
                self.index.stats.misses += 1;
                return QueuedRead::Miss;
            }
            _ if self.queue.clear => {
                self.index.stats.misses += 1;
                return QueuedRead::Miss;
            }
            _ => {}
        }
        if self.disk.is_open() {
            QueuedRead::Disk(ReadTicket(self.gen))
        } else {
            self.index.stats.misses += 1;
            QueuedRead::Miss
        }
    }

    /// The disk read of `key` begun with `ticket` finished: a hit (when found
    /// and not expired), or `None`. An expired or broken record is queued for
    /// deletion; a failed read is reported once per failure.
    pub fn read_done(
        &mut self,
        key: &str,
        ticket: ReadTicket,
        read: Result<Read<P::Value>>,
        now: f64,
    ) -> Option<Found<P::Value>> {
        match read {
            Err(e) => {
                self.index.stats.misses += 1;
                // Reads batched in one transaction fail together: one event.
                if self.last_error.as_ref() != Some(&e) {
                    self.report(e);
                }
                None
            }
            Ok(Read::Missing) => {
                self.index.stats.misses += 1;
                self.index.remove(key);
                None
            }
            Ok(Read::Corrupt) => {
                self.index.stats.misses += 1;
                self.index.stats.corrupt += 1;
                self.index.remove(key);
                self.queue.put(key, Op::Delete);
                self.flush(FlushAt::Now);
                self.report(FlowscaleError::at(
                    ErrorCode::CorruptRecord,
                    key,
                    "the stored record was not written by flowscale (or is incomplete); deleted",
                ));
                None
            }
            Ok(Read::Found { meta, .. }) if meta.expires_at <= now => {
                self.index.stats.misses += 1;
                self.index.stats.bytes_read =
                    self.index.stats.bytes_read.saturating_add(meta.bytes);
                if self.index.remove(key).is_some() {
                    self.index.stats.expirations += 1;
                }
                self.queue.put(key, Op::Delete);
                self.flush(FlushAt::Now);
                None
            }
            Ok(Read::Found { value, meta }) => {
                self.index.stats.hits += 1;
                self.index.stats.bytes_read =
                    self.index.stats.bytes_read.saturating_add(meta.bytes);
                if self.index.get(key).is_none() {
                    self.index.put(key, meta.clone());
                }
                self.index.touch(key, now);
                Some(Found {
                    value,
                    meta,
                    fresh: ticket.0 == self.gen,
                })
            }
        }
    }

    // ---- writes ----

    /// `set`: queue a put of `value` under `key`. With `wait` (write-through),
    /// `waiter()` is called for a waiter that hears when the write commits,
    /// or the call fails when the write cannot be made (memory holds the
    /// value either way). Without, problems go to the outbox as events.
    pub fn put(
        &mut self,
        key: &str,
        value: &P::Value,
        meta: DiskMeta,
        wait: bool,
        waiter: impl FnOnce() -> P::Waiter,
    ) -> Result<()> {
        self.gen += 1;
        if let Disk::Off = self.disk {
            return Ok(());
        }
        if meta.bytes > self.index.max_bytes() {
            let e = FlowscaleError::at(
                ErrorCode::LimitExceeded,
                key,
                format!(
                    "the value (about {} bytes) is larger than diskMaxMb; it is held in memory only",
                    meta.bytes
                ),
            );
            if self.disk.takes_writes() {
                // An older copy on disk must not outlive this value.
                self.queue.put(key, Op::Delete);
                self.flush(FlushAt::Now);
            }
            if wait {
                return Err(e);
            }
            self.report(e);
            return Ok(());
        }
        match &self.disk {
            Disk::Open(_) => {
                let value = value.clone();
                self.queue.put(key, Op::Put { value, meta });
                if wait {
                    self.queue.waiters.push(Waiting {
                        key: Some(key.into()),
                        waiter: waiter(),
                    });
                    self.queue.urgent = true;
                    self.flush(FlushAt::Now);
                } else if self.queue.ops.len() >= BATCH_MAX_OPS
                    || self.queue.bytes >= BATCH_MAX_BYTES
                {
                    self.flush(FlushAt::Now);
                } else {
                    self.flush(FlushAt::Later);
                }
                Ok(())
            }
            Disk::Blocked => {
                // Written once the database opens.
                let value = value.clone();
                self.queue.put(key, Op::Put { value, meta });
                if wait {
                    Err(FlowscaleError::at(
                        ErrorCode::StorageBlocked,
                        key,
                        "held in memory; the disk write waits for another tab to close an older version of the cache database",
                    ))
                } else {
                    Ok(())
                }
            }
            _ if wait => Err(FlowscaleError::at(
                ErrorCode::StorageUnavailable,
                key,
                format!(
                    "held in memory only, not on disk: {}",
                    self.unavailable_why()
                ),
            )),
            _ => Ok(()),
        }
    }

    fn unavailable_why(&self) -> String {
        self.last_error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_else(|| "the disk tier is unavailable".into())
    }

    /// `invalidate(key)`: forget it and queue its deletion.
    pub fn delete(&mut self, key: &str) {
        self.gen += 1;
        self.index.remove(key);
        if self.disk.takes_writes() {
            self.queue.put(key, Op::Delete);
        }
    }

    /// Tag or prefix invalidation, first step: turn the matching queued puts
    /// into deletes. Returns their keys.
    pub fn invalidate_queued(&mut self, m: Match) -> Vec<Box<str>> {
        self.gen += 1;
        let keys: Vec<Box<str>> = self
            .queue
            .ops
            .iter()
            .filter(|(k, p)| matches!(&p.op, Op::Put { meta, .. } if m.hits(k, &meta.tags)))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &keys {
            self.queue.put(k, Op::Delete);
        }
        keys
    }

    /// Second step, once the index was reloaded (other tabs' entries
    /// included): delete the matching entries of the index, except where a
    /// put is queued (it is newer: the first step turned those that matched
    /// then into deletes). Returns the keys deleted.
    pub fn invalidate_indexed(&mut self, m: Match) -> Vec<Box<str>> {
        let mut keys = self.take_matching(m);
        let queue = &self.queue.ops;
        keys.retain(|k| !queue.get(k).is_some_and(|p| matches!(p.op, Op::Put { .. })));
        for k in &keys {
            self.queue.put(k, Op::Delete);
        }
        keys
    }

    fn take_matching(&mut self, m: Match) -> Vec<Box<str>> {
        match m {
            Match::Tag(t) => self.index.take_tag(t),
            Match::Prefix(p) => self.index.take_prefix(p),
        }
    }

    /// `clear()`: everything queued goes; the next transaction empties the disk.
    pub fn clear(&mut self) {
        self.gen += 1;
        self.index.clear();
        self.queue.ops.clear();
        self.queue.bytes = 0;
        self.queue.clear = self.disk.takes_writes();
    }

    // ---- other tabs (they write the disk themselves; the index follows) ----

    pub fn remote_put(&mut self, key: &str, meta: DiskMeta) {
        self.gen += 1;
        if !matches!(self.disk, Disk::Off) {
            self.index.put(key, meta);
        }
    }

    pub fn remote_delete(&mut self, key: &str) {
        self.gen += 1;
        self.index.remove(key);
    }

    pub fn remote_match(&mut self, m: Match) {
        self.gen += 1;
        self.take_matching(m);
    }

    pub fn remote_clear(&mut self) {
        self.gen += 1;
        self.index.clear();
    }

    // ---- flushing ----

    /// A waiter that hears once everything queued so far is committed (it
    /// makes the flush urgent). False, and `waiter` unused, when the disk
    /// tier is not open.
    pub fn wait_flushed(&mut self, waiter: impl FnOnce() -> P::Waiter) -> bool {
        if !self.disk.is_open() {
            return false;
        }
        self.queue.waiters.push(Waiting {
            key: None,
            waiter: waiter(),
        });
        self.queue.urgent = true;
        self.flush(FlushAt::Now);
        true
    }

    /// `flush()`: `Ok(true)` with a waiter queued (see `wait_flushed`),
    /// `Ok(false)` when there is nothing to wait for, or why the queued
    /// writes cannot be written now.
    pub fn request_flush(&mut self, waiter: impl FnOnce() -> P::Waiter) -> Result<bool> {
        match &self.disk {
            Disk::Off => Ok(false),
            Disk::Open(_) => Ok(self.wait_flushed(waiter)),
            Disk::Blocked if self.queue.is_empty() => Ok(false),
            Disk::Blocked => Err(FlowscaleError::new(
                ErrorCode::StorageBlocked,
                "queued writes wait for another tab to close an older version of the cache database",
            )),
            Disk::Unavailable | Disk::Closed => Err(FlowscaleError::new(
                ErrorCode::StorageUnavailable,
                self.unavailable_why(),
            )),
        }
    }

    /// Take the queue as the next transaction. `None` while one is in flight
    /// or nothing is queued, and when the disk tier is not open: then the
    /// waiters hear at once (blocked: the writes stay queued; otherwise they
    /// can never be written and go).
    pub fn begin_flush(&mut self, in_memory: impl Fn(&str) -> bool) -> Option<Batch<P>> {
        if self.flight.is_some() || self.queue.is_empty() {
            return None;
        }
        let db = match &self.disk {
            Disk::Open(db) => db.clone(),
            Disk::Off => {
                let q = std::mem::take(&mut self.queue);
                for w in q.waiters {
                    self.out.settled.push((w.waiter, Ok(())));
                }
                return None;
            }
            other => {
                let code = if matches!(other, Disk::Blocked) {
                    ErrorCode::StorageBlocked
                } else {
                    ErrorCode::StorageUnavailable
                };
                let e = FlowscaleError::new(code, format!("the disk tier is {}", other.name()));
                for w in std::mem::take(&mut self.queue.waiters) {
                    self.out.settled.push((w.waiter, Err(e.clone())));
                }
                self.queue.urgent = false;
                if !matches!(other, Disk::Blocked) {
                    self.queue = Queue::default();
                }
                return None;
            }
        };
        let q = std::mem::take(&mut self.queue);
        let mut ops: Vec<(Box<str>, Pending<P::Value>)> = q.ops.into_iter().collect();
        follow(&mut self.index, q.clear, &ops);
        for v in self.index.evict_over_limit(in_memory) {
            match ops.iter_mut().find(|(k, _)| *k == v) {
                Some((_, p)) => p.op = Op::Delete,
                None => ops.push((
                    v,
                    Pending {
                        op: Op::Delete,
                        attempts: 0,
                    },
                )),
            }
        }
        let batch = Batch {
            db,
            clear: q.clear,
            ops: ops.iter().map(|(k, p)| (k.clone(), p.op.clone())).collect(),
            foreign: q.foreign,
        };
        self.flight = Some(Flight {
            clear: q.clear,
            ops,
            waiters: q.waiters,
            made_room: false,
        });
        Some(batch)
    }

    /// The outcome of the batch in flight.
    pub fn written(&mut self, outcome: Outcome) -> Written {
        let Some(mut f) = self.flight.take() else {
            return Written::Done(Settled {
                failed: false,
                next: None,
            });
        };
        match outcome {
            Err(e) if e.code == ErrorCode::QuotaExceeded && !f.made_room => {
                let victims = self.free_quarter(&f.ops);
                if victims.is_empty() {
                    self.failed(f, e)
                } else {
                    f.made_room = true;
                    self.flight = Some(f);
                    Written::MakeRoom { victims, error: e }
                }
            }
            Err(e) => self.failed(f, e),
            Ok(skipped) => self.committed(f, skipped),
        }
    }

    /// The least recently used quarter of the disk tier, none of `batch`,
    /// taken out of the index.
    fn free_quarter(&mut self, batch: &[(Box<str>, Pending<P::Value>)]) -> Vec<Box<str>> {
        let target = self.index.bytes() - self.index.bytes() / 4;
        let keys: Vec<Box<str>> = self
            .index
            .keys_lru()
            .into_iter()
            .filter(|k| !batch.iter().any(|(b, _)| &**b == *k))
            .map(Box::from)
            .collect();
        let mut out = Vec::new();
        for k in keys {
            if self.index.bytes() <= target {
                break;
            }
            self.index.remove(&k);
            self.index.stats.evictions += 1;
            out.push(k);
        }
        out
    }

    fn puts(f: &Flight<P>) -> u64 {
        f.ops
            .iter()
            .filter(|(_, p)| matches!(p.op, Op::Put { .. }))
            .count() as u64
    }

    fn committed(&mut self, f: Flight<P>, skipped: Vec<(usize, FlowscaleError)>) -> Written {
        // One pass: the puts that committed, and their bytes (sizes come from
        // stored records a page can forge, so the sum saturates).
        for (i, (_, p)) in f.ops.iter().enumerate() {
            if let Op::Put { meta, .. } = &p.op {
                if !skipped.iter().any(|(s, _)| *s == i) {
                    let stats = &mut self.index.stats;
                    stats.writes += 1;
                    stats.bytes_written = stats.bytes_written.saturating_add(meta.bytes);
                }
            }
        }
        let mut failed: Vec<(Box<str>, FlowscaleError)> = Vec::new();
        for (i, e) in skipped {
            if let Some((k, _)) = f.ops.get(i) {
                self.index.remove(k);
                self.index.stats.failed_writes += 1;
                failed.push((k.clone(), FlowscaleError::at(e.code, &**k, e.message)));
            }
        }
        for w in f.waiters {
            let r = match failed.iter().find(|(k, _)| Some(k) == w.key.as_ref()) {
                Some((_, e)) => Err(e.clone()),
                None => Ok(()),
            };
            self.out.settled.push((w.waiter, r));
        }
        for (k, e) in failed {
            // The put was skipped: an older value of the key must not outlive it on disk.
            if !self.queue.ops.contains_key(&k) {
                self.queue.put(&k, Op::Delete);
            }
            // Write-behind has no waiter: the event is how the app hears of it.
            self.report(e);
        }
        let next = if self.queue.urgent
            || (!self.queue.is_empty() && self.queue.ops.len() >= BATCH_MAX_OPS)
        {
            Some(FlushAt::Now)
        } else if !self.queue.is_empty() {
            Some(FlushAt::Later)
        } else {
            None
        };
        Written::Done(Settled {
            failed: false,
            next,
        })
    }

    /// The transaction failed: writes that nothing newer superseded are
    /// queued again (write-behind puts, and deletes, up to `MAX_ATTEMPTS`);
    /// a write-through put is not (its waiter hears the error); waiters hear.
    fn failed(&mut self, f: Flight<P>, e: FlowscaleError) -> Written {
        self.index.stats.failed_writes += Self::puts(&f);
        let write_behind = self.strategy != CacheStrategy::WriteThrough;
        let waited = |k: &str| f.waiters.iter().any(|w| w.key.as_deref() == Some(k));
        let mut dropped = Vec::new();
        for (k, p) in f.ops {
            if self.queue.ops.contains_key(&k) || self.queue.clear {
                continue; // superseded by a newer write
            }
            let retry = p.attempts + 1 < MAX_ATTEMPTS
                && match p.op {
                    Op::Put { .. } => write_behind && !waited(&k),
                    Op::Delete | Op::Meta(_) => true,
                };
            if retry {
                let attempts = p.attempts + 1;
                self.queue.requeue(&k, Pending { op: p.op, attempts });
            } else if !waited(&k) && matches!(p.op, Op::Put { .. } | Op::Delete) {
                dropped.push(k);
            }
        }
        if f.clear {
            self.queue.clear = true;
        }
        for w in f.waiters {
            self.out.settled.push((w.waiter, Err(e.clone())));
        }
        let mut e = e;
        if !dropped.is_empty() {
            let list: Vec<&str> = dropped.iter().take(10).map(|k| &**k).collect();
            e.message = format!(
                "{}; gave up writing {} key(s) after {MAX_ATTEMPTS} attempts: {}",
                e.message,
                dropped.len(),
                list.join(", ")
            );
        }
        self.report(e);
        Written::Done(Settled {
            failed: true,
            next: (!self.queue.is_empty()).then_some(FlushAt::Later),
        })
    }

    // ---- the unload journal ----

    /// The writes an unload would lose: those in flight, then those queued
    /// (access times aside). None for write-through (it acknowledges only
    /// what is on disk) and without a disk tier.
    pub fn journal(&self) -> Option<Vec<JournalEntry<'_, P::Value>>> {
        if self.strategy == CacheStrategy::WriteThrough
            || matches!(self.disk, Disk::Off | Disk::Closed)
        {
            return None;
        }
        // An in-flight op stands unless a newer put or delete of its key is
        // queued, or a clear() is (which the in-flight puts predate).
        let in_flight = self
            .flight
            .iter()
            .flat_map(|f| f.ops.iter())
            .filter(|(k, _)| {
                !self.queue.clear
                    && !matches!(
                        self.queue.ops.get(k).map(|p| &p.op),
                        Some(Op::Put { .. } | Op::Delete)
                    )
            })
            .filter_map(|(k, p)| journal_entry(k, &p.op));
        let queued = self
            .queue
            .ops
            .iter()
            .filter_map(|(k, p)| journal_entry(k, &p.op));
        Some(in_flight.chain(queued).collect())
    }

    /// Whether the disk has seen `key` since `at` (a write or read, here or
    /// in another tab): a journal entry made at `at` is then skipped, the
    /// disk's version stands.
    pub fn seen_since(&self, key: &str, at: f64) -> bool {
        self.index.get(key).is_some_and(|m| m.accessed_at > at)
    }
}

/// The index follows what a transaction will leave on disk.
fn follow<V>(index: &mut DiskIndex, clear: bool, ops: &[(Box<str>, Pending<V>)]) {
    if clear {
        index.clear();
    }
    for (k, p) in ops {
        match &p.op {
            Op::Put { meta, .. } => index.put(k, meta.clone()),
            Op::Delete => {
                index.remove(k);
            }
            Op::Meta(_) => {}
        }
    }
}

fn journal_entry<'a, V>(key: &'a str, op: &'a Op<V>) -> Option<JournalEntry<'a, V>> {
    match op {
        Op::Put { value, meta } => Some((key, Some((value, meta)))),
        Op::Delete => Some((key, None)),
        Op::Meta(_) => None,
    }
}
