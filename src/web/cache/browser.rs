//! The browser half of the cache (wasm32 only): holds the values (through
//! the JS mirror), runs the write strategies against IndexedDB (`idb.rs`),
//! keeps other tabs coherent over a BroadcastChannel, and turns every
//! storage fault into a coded event while memory goes on serving.
//!
//! `Cache` is the Rust API (the PerformanceManager uses it directly);
//! `web/cache/mod.rs` exports it to JS as `CacheCore`.
//!
//! Re-entrancy: user code (option getters, the value's getters during
//! structured clone, loaders, error listeners) may call back into the cache.
//! So the state is borrowed only for plain Rust work and calls into our own
//! glue; every call that can run user code happens with no borrow held.

use super::idb::{self, Opened, Read};
use crate::cache::{
    check_key, content_hash, workflow_key, workflow_tag, CacheOptions, CacheStrategy, DiskIndex,
    DiskMeta, DiskStats, Lookup, MemoryStats, MemoryTier, NotHeld, SetOptions, SetPlan,
};
use crate::error::{ErrorCode, FlowscaleError, Result};
use crate::web::to_js;
use js_sys::{Array, Function, Object, Promise, Reflect};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{BroadcastChannel, IdbDatabase, MessageEvent};

#[wasm_bindgen(module = "/src/web/cache.js")]
extern "C" {
    #[wasm_bindgen(js_name = newMirror)]
    fn new_mirror() -> JsValue;
    #[wasm_bindgen(js_name = mirrorPut)]
    fn mirror_put(m: &JsValue, slot: u32, key: &JsValue, value: &JsValue);
    #[wasm_bindgen(js_name = mirrorDrop)]
    fn mirror_drop(m: &JsValue, slot: u32);
    #[wasm_bindgen(js_name = mirrorClear)]
    fn mirror_clear(m: &JsValue);
    #[wasm_bindgen(js_name = mirrorValue)]
    fn mirror_value(m: &JsValue, slot: u32) -> JsValue;
    #[wasm_bindgen(js_name = keyProblem)]
    fn key_problem(key: &JsValue) -> Option<String>;
    #[wasm_bindgen(js_name = readSetOptions, catch)]
    fn read_set_options(o: &JsValue) -> std::result::Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = estimateBytes, catch)]
    fn estimate_bytes(v: &JsValue) -> std::result::Result<f64, JsValue>;
    #[wasm_bindgen(js_name = callLoader)]
    fn call_loader(loader: &JsValue, key: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = callUser)]
    fn call_user(f: &Function, arg: &JsValue);
    #[wasm_bindgen(js_name = storageEstimate)]
    fn storage_estimate() -> Promise;
    #[wasm_bindgen(js_name = startTimer)]
    fn start_timer(f: &Function, ms: f64, repeat: bool) -> JsValue;
    #[wasm_bindgen(js_name = stopTimer)]
    fn stop_timer(t: &JsValue);
    #[wasm_bindgen(js_name = onPageHide)]
    fn on_page_hide(f: &Function) -> Function;
    #[wasm_bindgen(js_name = newChannel)]
    fn new_channel(name: &str) -> JsValue;
}

/// Write-behind batches are flushed early past this many entries or bytes.
const BATCH_MAX_OPS: usize = 512;
const BATCH_MAX_BYTES: u64 = 16 << 20;
/// A failed write-behind entry is retried this many times, then dropped (with an event).
const MAX_ATTEMPTS: u8 = 3;

fn now() -> f64 {
    js_sys::Date::now()
}

fn get(obj: &JsValue, k: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

fn set(obj: &Object, k: &str, v: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(k), v);
}

fn arg(path: &str, message: impl Into<String>) -> FlowscaleError {
    FlowscaleError::at(ErrorCode::InvalidArgument, path, message)
}

/// A promise and its resolve/reject functions.
fn deferred() -> (Promise, Function, Function) {
    let mut fns = None;
    let p = Promise::new(&mut |res: Function, rej: Function| fns = Some((res, rej)));
    let (res, rej) = fns.unwrap_or_else(|| (Function::new_no_args(""), Function::new_no_args("")));
    (p, res, rej)
}

/// A JS key → a checked Rust string.
pub fn checked_key(key: &JsValue, path: &str) -> Result<String> {
    if let Some(problem) = key_problem(key) {
        return Err(arg(path, problem));
    }
    let s = key
        .as_string()
        .ok_or_else(|| arg(path, "expected a string"))?;
    check_key(&s, path)?;
    Ok(s)
}

/// `{ ttlSeconds?, tags?, sizeBytes? }` read by the glue (which catches getters).
pub fn read_options(options: &JsValue) -> Result<SetOptions> {
    if options.is_undefined() || options.is_null() {
        return Ok(SetOptions::default());
    }
    let o: Array = read_set_options(options)
        .map_err(|e| {
            let (_, m) = idb::describe(&e);
            arg("options", format!("reading the options threw: {m}"))
        })?
        .unchecked_into();
    let e = o.get(3);
    if !e.is_undefined() {
        let message = get(&e, "message").as_string().unwrap_or_default();
        let path = get(&e, "path")
            .as_string()
            .unwrap_or_else(|| "options".into());
        let message = message
            .strip_prefix(&format!("{path}: "))
            .unwrap_or(&message)
            .to_string();
        return Err(arg(&path, message));
    }
    let tags = o
        .get(2)
        .dyn_into::<Array>()
        .map(|a| a.iter().filter_map(|t| t.as_string()).collect())
        .unwrap_or_default();
    Ok(SetOptions {
        ttl_seconds: o.get(0).as_f64(),
        tags,
        size_bytes: o.get(1).as_f64(),
    })
}

fn estimate(value: &JsValue) -> Result<u64> {
    let b = estimate_bytes(value).map_err(|e| {
        let (_, m) = idb::describe(&e);
        arg("value", format!("reading the value threw: {m}"))
    })?;
    Ok(b.max(0.0) as u64)
}

/// Where the disk tier stands.
enum Disk {
    /// `diskMaxMb: 0`: memory only, by configuration.
    Off,
    /// Waiting for another tab to close an older version.
    Blocked,
    Open(IdbDatabase),
    /// Failed to open (or IndexedDB missing).
    Unavailable,
    /// Was open; closed by a newer version elsewhere, the browser, or `close()`.
    Closed,
}

impl Disk {
    fn name(&self) -> &'static str {
        match self {
            Disk::Off => "off",
            Disk::Blocked => "blocked",
            Disk::Open(_) => "ok",
            Disk::Unavailable => "unavailable",
            Disk::Closed => "closed",
        }
    }
}

#[derive(Clone)]
enum PendingOp {
    Put {
        value: JsValue,
        meta: DiskMeta,
    },
    /// A new access time only.
    Meta(DiskMeta),
    Delete,
}

struct Pending {
    op: PendingOp,
    attempts: u8,
}

struct Waiter {
    /// Set for a write-through `set`: rejected alone if its value cannot be cloned.
    key: Option<Box<str>>,
    resolve: Function,
    reject: Function,
}

/// What the next transaction will do.
#[derive(Default)]
struct Queue {
    clear: bool,
    ops: HashMap<Box<str>, Pending>,
    /// Keys that are not strings (foreign records) to delete.
    raw_deletes: Vec<JsValue>,
    waiters: Vec<Waiter>,
    bytes: u64,
    /// Someone waits: flush now rather than on the write-behind timer.
    urgent: bool,
}

impl Queue {
    fn is_empty(&self) -> bool {
        !self.clear && self.ops.is_empty() && self.raw_deletes.is_empty() && self.waiters.is_empty()
    }

    fn put(&mut self, key: &str, op: PendingOp) {
        if let PendingOp::Put { meta, .. } = &op {
            self.bytes += meta.bytes;
        }
        if let PendingOp::Meta(m) = &op {
            // A meta update never replaces a queued put or delete.
            if let Some(p) = self.ops.get_mut(key) {
                if let PendingOp::Put { meta, .. } = &mut p.op {
                    meta.accessed_at = m.accessed_at;
                }
                return;
            }
        }
        self.ops.insert(key.into(), Pending { op, attempts: 0 });
    }
}

struct ReadReq {
    key: Box<str>,
    out: Rc<RefCell<Option<Result<Read>>>>,
    resolve: Function,
}

struct Load {
    promise: Promise,
    tags: Box<[Box<str>]>,
    /// Invalidated (or overwritten) while loading: return the value, don't store it.
    stale: bool,
}

/// Timers, listeners and the channel: dropped on `close()`.
#[derive(Default)]
struct Hooks {
    sweep_timer: Option<JsValue>,
    flush_timer: Option<JsValue>,
    unsubscribe: Option<Function>,
    channel: Option<BroadcastChannel>,
    closures: Vec<Closure<dyn FnMut(JsValue)>>,
}

struct State {
    mem: MemoryTier,
    index: DiskIndex,
    disk: Disk,
    queue: Queue,
    flushing: bool,
    /// The ops of the transaction in flight, for the unload journal (cache.js):
    /// a page unloaded mid-transaction loses them with it.
    in_flight: Vec<(Box<str>, PendingOp)>,
    flush_scheduled: bool,
    loads: HashMap<Box<str>, Load>,
    reads: Vec<ReadReq>,
    reads_scheduled: bool,
    /// Bumped by every write and invalidation: a disk read that started
    /// before one is not promoted into memory (it may be stale).
    gen: u64,
    last_error: Option<FlowscaleError>,
    estimate: Option<(f64, f64)>,
    /// When the last estimate was asked for (ms), to ask at most once a second.
    estimate_at: f64,
    closed: bool,
    hooks: Hooks,
}

struct Inner {
    opts: CacheOptions,
    mirror: JsValue,
    emit: Function,
    st: RefCell<State>,
}

/// The cache. Cheap to clone (one `Rc`). It stays alive until `close()`:
/// its timers and listeners hold it.
#[derive(Clone)]
pub struct Cache {
    inner: Rc<Inner>,
}

/// `stats()`.
#[derive(Clone, Debug)]
pub struct CacheStats {
    pub memory: MemoryStats,
    pub disk: DiskStats,
    pub disk_status: &'static str,
    pub pending_writes: usize,
    pub last_error: Option<FlowscaleError>,
    /// `navigator.storage.estimate()` at the last refresh: (usage, quota).
    pub estimate: Option<(f64, f64)>,
    pub options: CacheOptions,
}

impl CacheStats {
    pub fn hits(&self) -> u64 {
        self.memory.hits + self.disk.hits
    }
    pub fn misses(&self) -> u64 {
        self.memory.misses.saturating_sub(self.disk.hits)
    }
}

enum Step {
    Write(
        IdbDatabase,
        bool,
        Vec<(Box<str>, Pending)>,
        Vec<JsValue>,
        Vec<Waiter>,
    ),
    Answer(Vec<Waiter>, Option<FlowscaleError>),
}

/// What to do once the borrow is released.
#[derive(Default)]
struct After {
    events: Vec<FlowscaleError>,
    resolve: Vec<(Function, JsValue)>,
    reject: Vec<(Function, JsValue)>,
    broadcast: Vec<JsValue>,
    flush_now: bool,
    flush_later: bool,
}

impl Cache {
    /// Open the cache: the memory tier at once, the disk tier (unless
    /// `diskMaxMb` is 0) once IndexedDB opened and its index loaded and
    /// swept. Storage faults do not fail the open: they are reported through
    /// `emit` (called with a `FlowscaleError`) and the cache serves from memory.
    pub async fn open(opts: CacheOptions, emit: Function) -> Result<Cache> {
        opts.validate()?;
        let mem = MemoryTier::new(
            opts.memory_max_entries as usize,
            opts.memory_max_bytes(),
            opts.admission(),
        );
        let index = DiskIndex::new(opts.disk_max_bytes());
        let disk_on = opts.disk_max_mb > 0.0;
        let cache = Cache {
            inner: Rc::new(Inner {
                mirror: new_mirror(),
                emit,
                st: RefCell::new(State {
                    mem,
                    index,
                    disk: Disk::Off,
                    queue: Queue::default(),
                    flushing: false,
                    in_flight: Vec::new(),
                    flush_scheduled: false,
                    loads: HashMap::new(),
                    reads: Vec::new(),
                    reads_scheduled: false,
                    gen: 0,
                    last_error: None,
                    estimate: None,
                    estimate_at: f64::NEG_INFINITY,
                    closed: false,
                    hooks: Hooks::default(),
                }),
                opts,
            }),
        };
        if disk_on {
            cache.open_disk().await;
        }
        cache.install_hooks();
        Ok(cache)
    }

    pub fn options(&self) -> &CacheOptions {
        &self.inner.opts
    }

    /// The JS mirror `{ index, values, keys }` (see `web/cache.js`).
    pub fn mirror(&self) -> JsValue {
        self.inner.mirror.clone()
    }

    fn emit_all(&self, after: After) {
        for (f, v) in after.resolve {
            let _ = f.call1(&JsValue::UNDEFINED, &v);
        }
        for (f, v) in after.reject {
            let _ = f.call1(&JsValue::UNDEFINED, &v);
        }
        if !after.broadcast.is_empty() {
            let ch = self.inner.st.borrow().hooks.channel.clone();
            if let Some(ch) = ch {
                for msg in after.broadcast {
                    if ch.post_message(&msg).is_err() {
                        // The value cannot be cloned: other tabs drop their copy instead.
                        let m = Object::new();
                        set(&m, "op", &"delete".into());
                        set(&m, "k", &get(&msg, "k"));
                        let _ = ch.post_message(&m);
                    }
                }
            }
        }
        for e in after.events {
            call_user(&self.inner.emit, &to_js(e));
        }
        if after.flush_now {
            self.schedule_flush(true);
        } else if after.flush_later {
            self.schedule_flush(false);
        }
    }

    fn report(st: &mut State, after: &mut After, e: FlowscaleError) {
        st.last_error = Some(e.clone());
        after.events.push(e);
    }

    // ---- opening and maintenance ----

    async fn open_disk(&self) {
        let name = self.inner.opts.database_name();
        match idb::open(&name).await {
            Ok(Opened::Ready(db)) => self.attach(db).await,
            Ok(Opened::Blocked { request }) => {
                let mut after = After::default();
                {
                    let mut st = self.inner.st.borrow_mut();
                    st.disk = Disk::Blocked;
                    Self::report(
                        &mut st,
                        &mut after,
                        FlowscaleError::new(
                            ErrorCode::StorageBlocked,
                            "another tab holds an older version of the cache database open; \
                             serving from memory until it closes",
                        ),
                    );
                }
                self.emit_all(after);
                let this = self.clone();
                spawn_local(async move {
                    match idb::wait_unblocked(&request).await {
                        Ok(db) => {
                            if this.inner.st.borrow().closed {
                                db.close();
                            } else {
                                this.attach(db).await;
                                this.schedule_flush(true);
                            }
                        }
                        Err(e) => this.fail_disk(Disk::Unavailable, e),
                    }
                });
            }
            Err(e) => self.fail_disk(Disk::Unavailable, e),
        }
    }

    fn fail_disk(&self, to: Disk, e: FlowscaleError) {
        let mut after = After::default();
        {
            let mut st = self.inner.st.borrow_mut();
            if let Disk::Open(db) = &st.disk {
                db.close();
            }
            st.disk = to;
            Self::report(&mut st, &mut after, e);
        }
        self.emit_all(after);
    }

    /// A freshly opened database: watch the connection, load the index,
    /// sweep it, and go online.
    async fn attach(&self, db: IdbDatabase) {
        let this = self.clone();
        let on_lost = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
            let why = if get(&ev, "type").as_string().as_deref() == Some("versionchange") {
                "another tab opened a newer version of the cache database; the disk tier is off in this tab until it reloads"
            } else {
                "the browser closed the cache database (storage cleared?); serving from memory"
            };
            this.fail_disk(
                Disk::Closed,
                FlowscaleError::new(ErrorCode::StorageUnavailable, why),
            );
        });
        db.set_onversionchange(Some(on_lost.as_ref().unchecked_ref()));
        db.set_onclose(Some(on_lost.as_ref().unchecked_ref()));
        {
            let mut st = self.inner.st.borrow_mut();
            st.hooks.closures.push(on_lost);
            st.disk = Disk::Open(db);
        }
        self.maintain().await;
        self.refresh_estimate();
    }

    /// Reload the index from IndexedDB (other tabs write too), delete what
    /// expired, what is corrupted or foreign and what exceeds `diskMaxMb`,
    /// and write back access times. Run on open and every sweep.
    async fn maintain(&self) {
        let db = match &self.inner.st.borrow().disk {
            Disk::Open(db) => db.clone(),
            _ => return,
        };
        let loaded = idb::load(&db).await;
        let mut after = After::default();
        {
            let mut st = self.inner.st.borrow_mut();
            let st = &mut *st;
            match loaded {
                Ok(l) => {
                    let touched = st.index.take_touched();
                    st.index.replace_all(l.records);
                    // Access times read here but not yet written win over the stored ones.
                    for (k, m) in touched {
                        if st.index.get(&k).is_some() {
                            st.index.touch(&k, m.accessed_at);
                        }
                    }
                    let t = now();
                    for k in st.index.take_expired(t) {
                        st.queue.put(&k, PendingOp::Delete);
                    }
                    if !l.bad.is_empty() {
                        st.index.stats.corrupt += l.bad.len() as u64;
                        let e = FlowscaleError::new(
                            ErrorCode::CorruptRecord,
                            format!(
                                "{} record(s) in the cache database were not written by flowscale or are incomplete; deleted",
                                l.bad.len()
                            ),
                        );
                        Self::report(st, &mut after, e);
                        st.queue.raw_deletes.extend(l.bad);
                    }
                    let mem = &st.mem;
                    for k in st.index.evict_over_limit(|k| mem.contains(k)) {
                        st.queue.put(&k, PendingOp::Delete);
                    }
                    for (k, m) in st.index.take_touched() {
                        st.queue.put(&k, PendingOp::Meta(m));
                    }
                    after.flush_now = !st.queue.is_empty();
                }
                Err(e) => Self::report(st, &mut after, e),
            }
        }
        let flush = after.flush_now;
        after.flush_now = false;
        self.emit_all(after);
        if flush {
            let _ = self.flush_inner().await;
        }
    }

    /// Ask `navigator.storage.estimate()` again (an IPC to the browser
    /// process: at most once a second).
    fn refresh_estimate(&self) {
        {
            let mut st = self.inner.st.borrow_mut();
            let t = now();
            if t - st.estimate_at < 1000.0 {
                return;
            }
            st.estimate_at = t;
        }
        let this = self.clone();
        spawn_local(async move {
            if let Ok(e) = JsFuture::from(storage_estimate()).await {
                if e.is_object() {
                    let usage = get(&e, "usage").as_f64().unwrap_or(0.0);
                    let quota = get(&e, "quota").as_f64().unwrap_or(0.0);
                    this.inner.st.borrow_mut().estimate = Some((usage, quota));
                }
            }
        });
    }

    fn install_hooks(&self) {
        let opts = &self.inner.opts;
        let mut hooks = Hooks::default();
        // Periodic sweep of both tiers.
        let this = self.clone();
        let sweep = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            let this = this.clone();
            spawn_local(async move { this.sweep().await });
        });
        hooks.sweep_timer = Some(start_timer(
            sweep.as_ref().unchecked_ref(),
            opts.sweep_interval_seconds * 1000.0,
            true,
        ));
        hooks.closures.push(sweep);
        // Write-behind: flush when the page is hidden or left.
        if opts.disk_max_mb > 0.0 {
            let this = self.clone();
            let hide = Closure::<dyn FnMut(JsValue)>::new(move |_| this.schedule_flush(true));
            hooks.unsubscribe = Some(on_page_hide(hide.as_ref().unchecked_ref()));
            hooks.closures.push(hide);
        }
        // Other tabs.
        if opts.broadcast {
            if let Ok(ch) = new_channel(&opts.database_name()).dyn_into::<BroadcastChannel>() {
                let this = self.clone();
                let on_msg = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
                    if let Some(ev) = ev.dyn_ref::<MessageEvent>() {
                        this.on_remote(&ev.data());
                    }
                });
                ch.set_onmessage(Some(on_msg.as_ref().unchecked_ref()));
                hooks.channel = Some(ch);
                hooks.closures.push(on_msg);
            }
        }
        // attach() may have registered the connection's listeners already.
        let mut st = self.inner.st.borrow_mut();
        hooks.closures.append(&mut st.hooks.closures);
        st.hooks = hooks;
    }

    /// Drop expired entries from memory; on disk, resync and sweep.
    pub async fn sweep(&self) {
        {
            let mut st = self.inner.st.borrow_mut();
            if st.closed {
                return;
            }
            for r in st.mem.purge_expired(now()) {
                mirror_drop(&self.inner.mirror, r.slot);
            }
        }
        self.maintain().await;
        self.refresh_estimate();
    }

    // ---- the memory tier ----

    /// The hit path (from JS): `slot` was found for the key in the mirror.
    #[inline]
    pub fn hit(&self, slot: u32, now: f64) -> bool {
        let mut st = self.inner.st.borrow_mut();
        match st.mem.hit(slot, now) {
            Lookup::Hit(_) => true,
            Lookup::Expired(r) => {
                mirror_drop(&self.inner.mirror, r.slot);
                false
            }
            Lookup::Miss => false,
        }
    }

    /// Count a memory miss found by the JS side (`key` with TinyLFU).
    pub fn miss(&self, key: Option<&str>) {
        self.inner.st.borrow_mut().mem.record_miss(key);
    }

    /// The memory tier only.
    pub fn get_memory(&self, key: &str) -> Option<JsValue> {
        let mut st = self.inner.st.borrow_mut();
        match st.mem.get(key, now()) {
            Lookup::Hit(slot) => Some(mirror_value(&self.inner.mirror, slot)),
            Lookup::Expired(r) => {
                mirror_drop(&self.inner.mirror, r.slot);
                None
            }
            Lookup::Miss => None,
        }
    }

    /// Hold a value in memory (no disk write); mirror updated.
    fn hold(
        st: &mut State,
        mirror: &JsValue,
        key: &str,
        key_js: &JsValue,
        value: &JsValue,
        bytes: u64,
        plan: &SetPlan,
    ) -> Option<NotHeld> {
        let out = st
            .mem
            .insert(key, bytes, plan.expires_at, plan.tags.clone());
        for r in &out.removed {
            mirror_drop(mirror, r.slot);
        }
        if let Some(slot) = out.slot {
            mirror_put(mirror, slot, key_js, value);
        }
        out.not_held
    }

    fn mark_stale(st: &mut State, pred: impl Fn(&str, &Load) -> bool) {
        for (k, l) in st.loads.iter_mut() {
            if pred(k, l) {
                l.stale = true;
            }
        }
    }

    // ---- reads ----

    /// The disk half of `get` (after a memory miss): queued writes first,
    /// then IndexedDB. A hit is promoted into memory.
    pub async fn get_from_disk(&self, key: &str, key_js: &JsValue) -> Result<JsValue> {
        let gen0 = {
            let mut st = self.inner.st.borrow_mut();
            let st = &mut *st;
            if st.closed {
                return Err(closed());
            }
            if let Disk::Off = st.disk {
                return Ok(JsValue::UNDEFINED);
            }
            let t = now();
            match st.queue.ops.get(key).map(|p| &p.op) {
                Some(PendingOp::Put { value, meta }) => {
                    if meta.expires_at > t {
                        st.index.stats.hits += 1;
                        let (value, meta) = (value.clone(), meta.clone());
                        let plan = SetPlan {
                            expires_at: meta.expires_at,
                            tags: meta.tags,
                        };
                        Self::hold(
                            st,
                            &self.inner.mirror,
                            key,
                            key_js,
                            &value,
                            meta.bytes,
                            &plan,
                        );
                        return Ok(value);
                    }
                    st.index.stats.misses += 1;
                    return Ok(JsValue::UNDEFINED);
                }
                Some(PendingOp::Delete) => {
                    st.index.stats.misses += 1;
                    return Ok(JsValue::UNDEFINED);
                }
                _ if st.queue.clear => {
                    st.index.stats.misses += 1;
                    return Ok(JsValue::UNDEFINED);
                }
                _ => {}
            }
            match &st.disk {
                Disk::Open(_) => st.gen,
                _ => {
                    st.index.stats.misses += 1;
                    return Ok(JsValue::UNDEFINED);
                }
            }
        };
        let read = self.read_batched(key).await;
        let mut after = After::default();
        let out = {
            let mut st = self.inner.st.borrow_mut();
            let st = &mut *st;
            let t = now();
            match read {
                Err(e) => {
                    st.index.stats.misses += 1;
                    // One failed batch fails every read in it: report it once.
                    if st.last_error.as_ref() != Some(&e) {
                        Self::report(st, &mut after, e);
                    }
                    JsValue::UNDEFINED
                }
                Ok(Read::Missing) => {
                    st.index.stats.misses += 1;
                    st.index.remove(key);
                    JsValue::UNDEFINED
                }
                Ok(Read::Corrupt) => {
                    st.index.stats.misses += 1;
                    st.index.stats.corrupt += 1;
                    st.index.remove(key);
                    st.queue.put(key, PendingOp::Delete);
                    after.flush_now = true;
                    let e = FlowscaleError::at(
                        ErrorCode::CorruptRecord,
                        key,
                        "the stored record was not written by flowscale (or is incomplete); deleted",
                    );
                    Self::report(st, &mut after, e);
                    JsValue::UNDEFINED
                }
                Ok(Read::Found { value, meta }) => {
                    if meta.expires_at <= t {
                        st.index.stats.misses += 1;
                        if st.index.remove(key).is_some() {
                            st.index.stats.expirations += 1;
                        }
                        st.queue.put(key, PendingOp::Delete);
                        after.flush_now = true;
                        JsValue::UNDEFINED
                    } else {
                        st.index.stats.hits += 1;
                        if st.index.get(key).is_none() {
                            st.index.put(key, meta.clone());
                        }
                        st.index.touch(key, t);
                        if st.gen == gen0 && !st.mem.contains(key) && !st.closed {
                            let plan = SetPlan {
                                expires_at: meta.expires_at,
                                tags: meta.tags,
                            };
                            Self::hold(
                                st,
                                &self.inner.mirror,
                                key,
                                key_js,
                                &value,
                                meta.bytes,
                                &plan,
                            );
                        }
                        value
                    }
                }
            }
        };
        self.emit_all(after);
        Ok(out)
    }

    /// Reads asked for in the same turn share one readonly transaction.
    async fn read_batched(&self, key: &str) -> Result<Read> {
        let out = Rc::new(RefCell::new(None));
        let (p, resolve, _) = deferred();
        let schedule = {
            let mut st = self.inner.st.borrow_mut();
            st.reads.push(ReadReq {
                key: key.into(),
                out: out.clone(),
                resolve,
            });
            !std::mem::replace(&mut st.reads_scheduled, true)
        };
        if schedule {
            let this = self.clone();
            spawn_local(async move { this.run_reads().await });
        }
        let _ = JsFuture::from(p).await;
        let got = out.borrow_mut().take();
        got.unwrap_or_else(|| {
            Err(FlowscaleError::new(
                ErrorCode::StorageUnavailable,
                "the read was dropped",
            ))
        })
    }

    async fn run_reads(&self) {
        let (db, reqs) = {
            let mut st = self.inner.st.borrow_mut();
            st.reads_scheduled = false;
            let reqs = std::mem::take(&mut st.reads);
            let db = match &st.disk {
                Disk::Open(db) => Some(db.clone()),
                _ => None,
            };
            (db, reqs)
        };
        let results: Vec<Result<Read>> = match db {
            None => reqs.iter().map(|_| Ok(Read::Missing)).collect(),
            Some(db) => {
                let keys: Vec<Box<str>> = reqs.iter().map(|r| r.key.clone()).collect();
                match idb::read_many(&db, &keys).await {
                    Ok(v) => v.into_iter().map(Ok).collect(),
                    Err(e) => reqs.iter().map(|_| Err(e.clone())).collect(),
                }
            }
        };
        for (r, res) in reqs.into_iter().zip(results) {
            *r.out.borrow_mut() = Some(res);
            let _ = r.resolve.call0(&JsValue::UNDEFINED);
        }
    }

    /// Memory, then disk.
    pub async fn get(&self, key: &str) -> Result<JsValue> {
        if let Some(v) = self.get_memory(key) {
            return Ok(v);
        }
        self.get_from_disk(key, &JsValue::from_str(key)).await
    }

    // ---- writes ----

    /// `set(key, value, options)`. `Ok(None)`: done; `Ok(Some(p))`: `p`
    /// resolves when the write-through transaction committed (or rejects
    /// with its coded error; memory holds the value either way).
    pub fn set(
        &self,
        key_js: &JsValue,
        value: &JsValue,
        options: &JsValue,
        size: Option<f64>,
        now: Option<f64>,
    ) -> Result<Option<Promise>> {
        // `now` comes from cache.js, which has checked the key's type and
        // well-formedness already (saving a boundary crossing per set).
        let key = match now {
            Some(_) => {
                let k = key_js
                    .as_string()
                    .ok_or_else(|| arg("key", "expected a string"))?;
                check_key(&k, "key")?;
                k
            }
            None => checked_key(key_js, "key")?,
        };
        let opts = read_options(options)?;
        let wait = self.inner.opts.strategy != CacheStrategy::WriteBehind;
        self.store(&key, key_js, value, &opts, wait, size, now)
    }

    /// `size`: the estimate, when the caller made it; `at`: the time, when
    /// the caller read the clock.
    #[allow(clippy::too_many_arguments)]
    fn store(
        &self,
        key: &str,
        key_js: &JsValue,
        value: &JsValue,
        opts: &SetOptions,
        wait: bool,
        size: Option<f64>,
        at: Option<f64>,
    ) -> Result<Option<Promise>> {
        if value.is_undefined() {
            return Err(arg(
                "value",
                "undefined cannot be cached (get answers undefined for a miss); store null instead",
            ));
        }
        let t = at.unwrap_or_else(now);
        let plan = opts.plan(self.inner.opts.default_ttl_seconds, t)?;
        let bytes = match opts.size_bytes.or(size) {
            Some(b) => b.max(0.0) as u64,
            None => estimate(value)?,
        };
        let mut after = After::default();
        let result = {
            let mut st = self.inner.st.borrow_mut();
            let st = &mut *st;
            if st.closed {
                return Err(closed());
            }
            st.gen += 1;
            Self::mark_stale(st, |k, _| k == key);
            Self::hold(st, &self.inner.mirror, key, key_js, value, bytes, &plan);
            let meta = DiskMeta {
                bytes,
                expires_at: plan.expires_at,
                accessed_at: t,
                tags: plan.tags.clone(),
            };
            if self.inner.opts.broadcast && st.hooks.channel.is_some() {
                let m = Object::new();
                set(&m, "op", &"set".into());
                set(&m, "k", key_js);
                set(&m, "v", value);
                set(&m, "m", &idb::meta_record(&meta));
                after.broadcast.push(m.into());
            }
            let too_big = bytes > st.index.max_bytes();
            match &st.disk {
                Disk::Off => Ok(None),
                _ if too_big => {
                    let e = FlowscaleError::at(
                        ErrorCode::LimitExceeded,
                        key,
                        format!(
                            "the value (about {bytes} bytes) is larger than diskMaxMb; it is held in memory only"
                        ),
                    );
                    if matches!(st.disk, Disk::Open(_) | Disk::Blocked) {
                        // An older copy on disk must not outlive this value.
                        st.queue.put(key, PendingOp::Delete);
                        after.flush_now = true;
                    }
                    if wait {
                        Err(e)
                    } else {
                        Self::report(st, &mut after, e);
                        Ok(None)
                    }
                }
                Disk::Open(_) => {
                    st.queue.put(
                        key,
                        PendingOp::Put {
                            value: value.clone(),
                            meta,
                        },
                    );
                    if wait {
                        let (p, resolve, reject) = deferred();
                        st.queue.waiters.push(Waiter {
                            key: Some(key.into()),
                            resolve,
                            reject,
                        });
                        st.queue.urgent = true;
                        after.flush_now = true;
                        Ok(Some(p))
                    } else {
                        after.flush_now = st.queue.ops.len() >= BATCH_MAX_OPS
                            || st.queue.bytes >= BATCH_MAX_BYTES;
                        after.flush_later = true;
                        Ok(None)
                    }
                }
                Disk::Blocked => {
                    // Written once the database opens.
                    st.queue.put(
                        key,
                        PendingOp::Put {
                            value: value.clone(),
                            meta,
                        },
                    );
                    if wait {
                        Err(FlowscaleError::at(
                            ErrorCode::StorageBlocked,
                            key,
                            "held in memory; the disk write waits for another tab to close an older version of the cache database",
                        ))
                    } else {
                        Ok(None)
                    }
                }
                Disk::Unavailable | Disk::Closed => {
                    if wait {
                        let why = st
                            .last_error
                            .as_ref()
                            .map(|e| e.message.clone())
                            .unwrap_or_else(|| "the disk tier is unavailable".into());
                        Err(FlowscaleError::at(
                            ErrorCode::StorageUnavailable,
                            key,
                            format!("held in memory only, not on disk: {why}"),
                        ))
                    } else {
                        Ok(None)
                    }
                }
            }
        };
        self.emit_all(after);
        result
    }

    /// Rust API: `set` with a Rust key and options; resolves per the strategy.
    pub async fn set_value(&self, key: &str, value: &JsValue, opts: &SetOptions) -> Result<()> {
        check_key(key, "key")?;
        let wait = self.inner.opts.strategy != CacheStrategy::WriteBehind;
        if let Some(p) = self.store(key, &JsValue::from_str(key), value, opts, wait, None, None)? {
            JsFuture::from(p).await.map_err(|e| from_js(&e))?;
        }
        Ok(())
    }

    /// Cache-aside: the cached value, else the loader's (stored per the
    /// strategy); concurrent calls for one key share one load. A loader that
    /// rejects rejects every caller with its own error; nothing is stored.
    pub fn get_or_load(
        &self,
        key_js: &JsValue,
        loader: &JsValue,
        options: &JsValue,
        memory_checked: bool,
    ) -> Result<Promise> {
        let key = checked_key(key_js, "key")?;
        if !loader.is_function() {
            return Err(arg(
                "loader",
                "expected a function (key) => value | Promise<value>",
            ));
        }
        let opts = read_options(options)?;
        let plan = opts.plan(self.inner.opts.default_ttl_seconds, now())?;
        if !memory_checked {
            if let Some(v) = self.get_memory(&key) {
                return Ok(Promise::resolve(&v));
            }
        }
        let (promise, resolve, reject) = {
            let mut st = self.inner.st.borrow_mut();
            if st.closed {
                return Err(closed());
            }
            if let Some(l) = st.loads.get(key.as_str()) {
                return Ok(l.promise.clone());
            }
            let (p, res, rej) = deferred();
            st.loads.insert(
                key.as_str().into(),
                Load {
                    promise: p.clone(),
                    tags: plan.tags,
                    stale: false,
                },
            );
            (p, res, rej)
        };
        let this = self.clone();
        let key_js = key_js.clone();
        let loader = loader.clone();
        spawn_local(async move {
            let cached = this
                .get_from_disk(&key, &key_js)
                .await
                .unwrap_or(JsValue::UNDEFINED);
            if !cached.is_undefined() {
                this.inner.st.borrow_mut().loads.remove(key.as_str());
                let _ = resolve.call1(&JsValue::UNDEFINED, &cached);
                return;
            }
            let loaded = JsFuture::from(call_loader(&loader, &key_js)).await;
            let stale = this
                .inner
                .st
                .borrow_mut()
                .loads
                .remove(key.as_str())
                .map_or(true, |l| l.stale);
            match loaded {
                Err(e) => {
                    let _ = reject.call1(&JsValue::UNDEFINED, &e);
                }
                Ok(v) => {
                    if !v.is_undefined() && !stale {
                        let wait = this.inner.opts.strategy == CacheStrategy::WriteThrough;
                        match this.store(&key, &key_js, &v, &opts, wait, None, None) {
                            Ok(Some(p)) => {
                                if let Err(e) = JsFuture::from(p).await {
                                    // The loaded value is returned; the failed disk write is reported.
                                    call_user(&this.inner.emit, &e);
                                }
                            }
                            Ok(None) => {}
                            Err(e) => call_user(&this.inner.emit, &to_js(e)),
                        }
                    }
                    let _ = resolve.call1(&JsValue::UNDEFINED, &v);
                }
            }
        });
        Ok(promise)
    }

    // ---- invalidation ----

    /// Queue a delete and, when the disk tier is open, a waiter for it.
    fn delete_waiter(st: &mut State, after: &mut After) -> Option<Promise> {
        match st.disk {
            Disk::Open(_) => {
                let (p, resolve, reject) = deferred();
                st.queue.waiters.push(Waiter {
                    key: None,
                    resolve,
                    reject,
                });
                st.queue.urgent = true;
                after.flush_now = true;
                Some(p)
            }
            _ => None,
        }
    }

    fn remote_msg(op: &str, k: &JsValue) -> JsValue {
        let m = Object::new();
        set(&m, "op", &op.into());
        set(&m, "k", k);
        m.into()
    }

    /// Remove `key` from both tiers. The promise resolves once IndexedDB
    /// deleted it (at once when the disk tier is off or unavailable).
    pub fn invalidate(&self, key_js: &JsValue) -> Result<Option<Promise>> {
        let key = checked_key(key_js, "key")?;
        let mut after = After::default();
        let p = {
            let mut st = self.inner.st.borrow_mut();
            let st = &mut *st;
            if st.closed {
                return Err(closed());
            }
            st.gen += 1;
            if let Some(r) = st.mem.remove(&key) {
                mirror_drop(&self.inner.mirror, r.slot);
            }
            Self::mark_stale(st, |k, _| k == key);
            st.index.remove(&key);
            if matches!(st.disk, Disk::Open(_) | Disk::Blocked) {
                st.queue.put(&key, PendingOp::Delete);
            }
            if self.inner.opts.broadcast {
                after.broadcast.push(Self::remote_msg("delete", key_js));
            }
            Self::delete_waiter(st, &mut after)
        };
        self.emit_all(after);
        Ok(p)
    }

    /// Remove every entry tagged `tag` (`prefix == false`) or whose key
    /// starts with `tag` (`prefix == true`) from both tiers, including
    /// entries other tabs wrote. Resolves to the number of keys removed.
    pub async fn invalidate_matching(&self, what: &str, prefix: bool) -> Result<u32> {
        let matches = |k: &str, tags: &[Box<str>]| {
            if prefix {
                k.starts_with(what)
            } else {
                tags.iter().any(|t| &**t == what)
            }
        };
        let mut removed: HashSet<Box<str>> = HashSet::new();
        let mut after = After::default();
        let open = {
            let mut st = self.inner.st.borrow_mut();
            let st = &mut *st;
            if st.closed {
                return Err(closed());
            }
            st.gen += 1;
            let gone = if prefix {
                st.mem.invalidate_prefix(what)
            } else {
                st.mem.invalidate_tag(what)
            };
            for r in gone {
                mirror_drop(&self.inner.mirror, r.slot);
                removed.insert(r.key);
            }
            Self::mark_stale(st, |k, l| matches(k, &l.tags));
            let queued: Vec<Box<str>> = st
                .queue
                .ops
                .iter()
                .filter(
                    |(k, p)| matches!(&p.op, PendingOp::Put { meta, .. } if matches(k, &meta.tags)),
                )
                .map(|(k, _)| k.clone())
                .collect();
            for k in queued {
                st.queue.put(&k, PendingOp::Delete);
                removed.insert(k);
            }
            if self.inner.opts.broadcast {
                let op = if prefix { "prefix" } else { "tag" };
                after
                    .broadcast
                    .push(Self::remote_msg(op, &JsValue::from_str(what)));
            }
            matches!(st.disk, Disk::Open(_))
        };
        self.emit_all(after);
        if open {
            // Entries other tabs wrote since our last sweep are on disk, not
            // in our index yet: reload it first.
            self.maintain().await;
            let mut after = After::default();
            let done = {
                let mut st = self.inner.st.borrow_mut();
                let st = &mut *st;
                let keys = if prefix {
                    st.index.take_prefix(what)
                } else {
                    st.index.take_tag(what)
                };
                for k in keys {
                    st.queue.put(&k, PendingOp::Delete);
                    removed.insert(k);
                }
                // A waiter, not a direct flush: a batch may be in flight, and
                // this resolves only once our deletes are committed.
                Self::delete_waiter(st, &mut after)
            };
            self.emit_all(after);
            if let Some(p) = done {
                JsFuture::from(p).await.map_err(|e| from_js(&e))?;
            }
        }
        Ok(removed.len() as u32)
    }

    /// Empty both tiers.
    pub fn clear(&self) -> Result<Option<Promise>> {
        let mut after = After::default();
        let p = {
            let mut st = self.inner.st.borrow_mut();
            let st = &mut *st;
            if st.closed {
                return Err(closed());
            }
            st.gen += 1;
            st.mem.clear();
            mirror_clear(&self.inner.mirror);
            st.index.clear();
            Self::mark_stale(st, |_, _| true);
            st.queue.ops.clear();
            st.queue.bytes = 0;
            st.queue.clear = matches!(st.disk, Disk::Open(_) | Disk::Blocked);
            if self.inner.opts.broadcast {
                after
                    .broadcast
                    .push(Self::remote_msg("clear", &JsValue::UNDEFINED));
            }
            Self::delete_waiter(st, &mut after)
        };
        self.emit_all(after);
        Ok(p)
    }

    /// A message from another tab: apply it to this tab's memory tier and index.
    fn on_remote(&self, data: &JsValue) {
        let op = get(data, "op").as_string().unwrap_or_default();
        let k = get(data, "k");
        let mut st = self.inner.st.borrow_mut();
        let st = &mut *st;
        if st.closed {
            return;
        }
        st.gen += 1;
        let mirror = &self.inner.mirror;
        match (op.as_str(), k.as_string()) {
            ("set", Some(key)) => {
                let Some(meta) = idb::parse_meta(&get(data, "m")) else {
                    return;
                };
                Self::mark_stale(st, |l, _| l == key);
                if st.mem.contains(&key) {
                    let plan = SetPlan {
                        expires_at: meta.expires_at,
                        tags: meta.tags.clone(),
                    };
                    Self::hold(st, mirror, &key, &k, &get(data, "v"), meta.bytes, &plan);
                }
                if !matches!(st.disk, Disk::Off) {
                    st.index.put(&key, meta);
                }
            }
            ("delete", Some(key)) => {
                if let Some(r) = st.mem.remove(&key) {
                    mirror_drop(mirror, r.slot);
                }
                Self::mark_stale(st, |l, _| l == key);
                st.index.remove(&key);
            }
            ("tag", Some(tag)) | ("prefix", Some(tag)) => {
                let prefix = op == "prefix";
                let gone = if prefix {
                    st.mem.invalidate_prefix(&tag)
                } else {
                    st.mem.invalidate_tag(&tag)
                };
                for r in gone {
                    mirror_drop(mirror, r.slot);
                }
                Self::mark_stale(st, |l, load| {
                    if prefix {
                        l.starts_with(tag.as_str())
                    } else {
                        load.tags.iter().any(|t| **t == *tag)
                    }
                });
                if prefix {
                    st.index.take_prefix(&tag);
                } else {
                    st.index.take_tag(&tag);
                }
            }
            ("clear", _) => {
                st.mem.clear();
                mirror_clear(mirror);
                st.index.clear();
                Self::mark_stale(st, |_, _| true);
            }
            _ => {}
        }
    }

    // ---- flushing ----

    fn schedule_flush(&self, now_: bool) {
        let mut st = self.inner.st.borrow_mut();
        if st.closed && !now_ {
            return;
        }
        if now_ {
            if let Some(t) = st.hooks.flush_timer.take() {
                stop_timer(&t);
            }
            if st.flush_scheduled {
                return;
            }
            st.flush_scheduled = true;
            drop(st);
            let this = self.clone();
            spawn_local(async move {
                this.inner.st.borrow_mut().flush_scheduled = false;
                let _ = this.flush_inner().await;
            });
        } else if st.hooks.flush_timer.is_none() {
            let this = self.clone();
            let f = Closure::once_into_js(move || {
                this.inner.st.borrow_mut().hooks.flush_timer = None;
                this.schedule_flush(true);
            });
            let ms = self.inner.opts.flush_interval_ms;
            st.hooks.flush_timer = Some(start_timer(f.unchecked_ref(), ms, false));
        }
    }

    // ---- the unload journal (cache.js keeps it in localStorage) ----

    /// The writes an unload would lose: those queued and those in flight, as
    /// `[key, value, expiresAt, tags, setAt]` for a put and `[key]` for a delete.
    /// None for write-through (it acknowledges only what is on disk) and
    /// without a disk tier.
    pub fn journal(&self) -> Option<Array> {
        if self.inner.opts.strategy == CacheStrategy::WriteThrough {
            return None;
        }
        let st = self.inner.st.borrow();
        if matches!(st.disk, Disk::Off | Disk::Closed) {
            return None;
        }
        let out = Array::new();
        let queued = st.queue.ops.iter().map(|(k, p)| (k, &p.op));
        // An in-flight op stands unless a newer put or delete of its key is
        // queued, or a clear() is (which the in-flight puts predate).
        let in_flight = st
            .in_flight
            .iter()
            .filter(|(k, _)| {
                !st.queue.clear
                    && !matches!(
                        st.queue.ops.get(k).map(|p| &p.op),
                        Some(PendingOp::Put { .. } | PendingOp::Delete)
                    )
            })
            .map(|(k, op)| (k, op));
        for (k, op) in in_flight.chain(queued) {
            let entry = Array::of1(&JsValue::from_str(k));
            match op {
                PendingOp::Put { value, meta } => {
                    entry.push(value);
                    entry.push(&meta.expires_at.into());
                    entry.push(
                        &meta
                            .tags
                            .iter()
                            .map(|t| JsValue::from_str(t))
                            .collect::<Array>(),
                    );
                    entry.push(&meta.accessed_at.into());
                }
                PendingOp::Delete => {}
                PendingOp::Meta(_) => continue,
            }
            out.push(&entry);
        }
        Some(out)
    }

    /// Write back a journal that a page left at `at` (ms): each entry as
    /// `journal()` gives it, skipped when expired or when the disk has seen
    /// the key since the put was made (`setAt`; `at` for a delete): another
    /// tab wrote or read it later, so the disk's version stands. Resolves
    /// once IndexedDB holds the rest (one item each).
    pub fn replay(&self, entries: &JsValue, at: f64) -> Result<Promise> {
        let entries: &Array = entries
            .dyn_ref()
            .ok_or_else(|| arg("journal", "expected an array"))?;
        if !at.is_finite() {
            return Err(arg("at", "expected a time in ms"));
        }
        if !matches!(self.inner.st.borrow().disk, Disk::Open(_)) {
            return Err(FlowscaleError::new(
                ErrorCode::StorageUnavailable,
                "the disk tier is not open; the journal stays for a later open",
            ));
        }
        let t = now();
        let waits = Array::new();
        let mut after = After::default();
        for (i, e) in entries.iter().enumerate() {
            // One bad entry is reported and skipped; the others still count.
            match self.replay_one(&e, at, t) {
                Ok(Some(p)) => {
                    waits.push(&p);
                }
                Ok(None) => {}
                Err(mut err) => {
                    err.path = Some(format!("journal[{i}]"));
                    Self::report(&mut self.inner.st.borrow_mut(), &mut after, err);
                }
            }
        }
        self.emit_all(after);
        Ok(Promise::all(&waits))
    }

    /// One journal entry: `Some(promise)` when it was written back.
    fn replay_one(&self, e: &JsValue, at: f64, t: f64) -> Result<Option<Promise>> {
        let bad = |m: &str| FlowscaleError::new(ErrorCode::CorruptRecord, m);
        let e: &Array = e.dyn_ref().ok_or_else(|| bad("expected an array"))?;
        let key_js = e.get(0);
        let key = checked_key(&key_js, "key").map_err(|_| bad("expected a key"))?;
        let made = if e.length() == 1 {
            at
        } else {
            e.get(4)
                .as_f64()
                .filter(|x| x.is_finite())
                .ok_or_else(|| bad("expected setAt"))?
        };
        let newer = self
            .inner
            .st
            .borrow()
            .index
            .get(&key)
            .is_some_and(|m| m.accessed_at > made);
        if newer {
            return Ok(None);
        }
        let p = if e.length() == 1 {
            self.invalidate(&key_js)?
        } else {
            let expires_at = e.get(2).as_f64().ok_or_else(|| bad("expected expiresAt"))?;
            if expires_at <= t {
                return Ok(None);
            }
            let tags: Array = e.get(3).dyn_into().map_err(|_| bad("expected tags"))?;
            let tags = tags
                .iter()
                .map(|t| t.as_string().ok_or_else(|| bad("expected string tags")))
                .collect::<Result<Vec<String>>>()?;
            let opts = SetOptions {
                ttl_seconds: Some((expires_at - made) / 1000.0),
                tags,
                size_bytes: None,
            };
            // Stored as of when it was made, so a later journal's write of the key still wins.
            self.store(&key, &key_js, &e.get(1), &opts, true, None, Some(made))?
        };
        Ok(Some(
            p.unwrap_or_else(|| Promise::resolve(&JsValue::UNDEFINED)),
        ))
    }

    /// `flush()`: resolves once every write queued so far is in IndexedDB.
    pub fn flush(&self) -> Result<Option<Promise>> {
        let mut after = After::default();
        let p = {
            let mut st = self.inner.st.borrow_mut();
            let st = &mut *st;
            match &st.disk {
                Disk::Off => None,
                Disk::Open(_) => Self::delete_waiter(st, &mut after),
                Disk::Blocked => {
                    if st.queue.is_empty() {
                        None
                    } else {
                        return Err(FlowscaleError::new(
                            ErrorCode::StorageBlocked,
                            "queued writes wait for another tab to close an older version of the cache database",
                        ));
                    }
                }
                Disk::Unavailable | Disk::Closed => {
                    let why = st
                        .last_error
                        .as_ref()
                        .map(|e| e.message.clone())
                        .unwrap_or_else(|| "the disk tier is unavailable".into());
                    return Err(FlowscaleError::new(ErrorCode::StorageUnavailable, why));
                }
            }
        };
        self.emit_all(after);
        Ok(p)
    }

    /// Run transactions until the queue holds nothing urgent. Errors are
    /// reported to waiters and as events; the last one is returned.
    async fn flush_inner(&self) -> Result<()> {
        let mut last = Ok(());
        loop {
            let step = {
                let mut st = self.inner.st.borrow_mut();
                let st = &mut *st;
                if st.flushing || st.queue.is_empty() {
                    return last;
                }
                match &st.disk {
                    Disk::Open(db) => {
                        let db = db.clone();
                        st.flushing = true;
                        let q = std::mem::take(&mut st.queue);
                        // The index follows what the transaction will leave on disk.
                        if q.clear {
                            st.index.clear();
                        }
                        let mut ops: Vec<(Box<str>, Pending)> = q.ops.into_iter().collect();
                        for (k, p) in &ops {
                            match &p.op {
                                PendingOp::Put { meta, .. } => st.index.put(k, meta.clone()),
                                PendingOp::Delete => {
                                    st.index.remove(k);
                                }
                                PendingOp::Meta(_) => {}
                            }
                        }
                        let mem = &st.mem;
                        for v in st.index.evict_over_limit(|k| mem.contains(k)) {
                            match ops.iter_mut().find(|(k, _)| *k == v) {
                                Some((_, p)) => p.op = PendingOp::Delete,
                                None => ops.push((
                                    v,
                                    Pending {
                                        op: PendingOp::Delete,
                                        attempts: 0,
                                    },
                                )),
                            }
                        }
                        st.in_flight = ops.iter().map(|(k, p)| (k.clone(), p.op.clone())).collect();
                        Step::Write(db, q.clear, ops, q.raw_deletes, q.waiters)
                    }
                    Disk::Off => {
                        let q = std::mem::take(&mut st.queue);
                        Step::Answer(q.waiters, None)
                    }
                    other => {
                        // Blocked: the writes wait for the database; otherwise they
                        // can never be written. Either way the waiters hear now.
                        let code = if matches!(other, Disk::Blocked) {
                            ErrorCode::StorageBlocked
                        } else {
                            ErrorCode::StorageUnavailable
                        };
                        let e =
                            FlowscaleError::new(code, format!("the disk tier is {}", other.name()));
                        if !matches!(other, Disk::Blocked) {
                            st.queue = Queue::default();
                        }
                        let waiters = std::mem::take(&mut st.queue.waiters);
                        st.queue.urgent = false;
                        Step::Answer(waiters, Some(e))
                    }
                }
            };
            let (db, clear, ops, raw, waiters) = match step {
                Step::Write(db, clear, ops, raw, waiters) => (db, clear, ops, raw, waiters),
                Step::Answer(waiters, e) => {
                    let e = e.map(to_js);
                    for w in waiters {
                        let _ = match &e {
                            Some(e) => w.reject.call1(&JsValue::UNDEFINED, e),
                            None => w.resolve.call0(&JsValue::UNDEFINED),
                        };
                    }
                    return last;
                }
            };
            let mut batch: Vec<(JsValue, idb::Op)> = Vec::with_capacity(ops.len() + raw.len());
            for (k, p) in &ops {
                let op = match &p.op {
                    PendingOp::Put { value, meta } => idb::Op::Put {
                        value: value.clone(),
                        meta: meta.clone(),
                    },
                    PendingOp::Meta(m) => idb::Op::Meta(m.clone()),
                    PendingOp::Delete => idb::Op::Delete,
                };
                batch.push((JsValue::from_str(k), op));
            }
            for k in &raw {
                batch.push((k.clone(), idb::Op::Delete));
            }
            let mut result = idb::write(&db, clear, &batch).await;
            if matches!(&result, Err(e) if e.code == ErrorCode::QuotaExceeded) {
                // The browser's quota is below diskMaxMb: make room by
                // dropping the least recently used quarter, then retry once.
                if self.free_quarter(&db, &ops).await {
                    result = idb::write(&db, clear, &batch).await;
                }
            }
            let mut after = After::default();
            {
                let mut st = self.inner.st.borrow_mut();
                let st = &mut *st;
                st.flushing = false;
                st.in_flight.clear();
                let puts = ops
                    .iter()
                    .filter(|(_, p)| matches!(p.op, PendingOp::Put { .. }))
                    .count() as u64;
                match result {
                    Ok(skipped) => {
                        st.index.stats.writes += puts - skipped.len() as u64;
                        let mut failed_keys: Vec<(Box<str>, FlowscaleError)> = Vec::new();
                        for (i, e) in skipped {
                            if let Some((k, _)) = ops.get(i) {
                                st.index.remove(k);
                                st.index.stats.failed_writes += 1;
                                failed_keys
                                    .push((k.clone(), FlowscaleError::at(e.code, &**k, e.message)));
                            }
                        }
                        for w in waiters {
                            match failed_keys.iter().find(|(k, _)| Some(k) == w.key.as_ref()) {
                                Some((_, e)) => after.reject.push((w.reject, to_js(e.clone()))),
                                None => after.resolve.push((w.resolve, JsValue::UNDEFINED)),
                            }
                        }
                        for (k, e) in failed_keys {
                            // The put was skipped: an older value of the key must
                            // not outlive it on disk.
                            if !st.queue.ops.contains_key(&k) {
                                st.queue.put(&k, PendingOp::Delete);
                                after.flush_later = true;
                            }
                            // Write-behind has no waiter: the event is how the app hears of it.
                            Self::report(st, &mut after, e);
                        }
                    }
                    Err(e) => {
                        st.index.stats.failed_writes += puts;
                        let write_behind = self.inner.opts.strategy != CacheStrategy::WriteThrough;
                        let waited: HashSet<Box<str>> =
                            waiters.iter().filter_map(|w| w.key.clone()).collect();
                        let mut dropped = Vec::new();
                        for (k, p) in ops {
                            if st.queue.ops.contains_key(&k) || st.queue.clear {
                                continue; // superseded by a newer write
                            }
                            let retry = p.attempts + 1 < MAX_ATTEMPTS
                                && match p.op {
                                    PendingOp::Put { .. } => write_behind && !waited.contains(&k),
                                    PendingOp::Delete | PendingOp::Meta(_) => true,
                                };
                            if retry {
                                if let PendingOp::Put { meta, .. } = &p.op {
                                    st.queue.bytes += meta.bytes;
                                }
                                st.queue.ops.insert(
                                    k,
                                    Pending {
                                        op: p.op,
                                        attempts: p.attempts + 1,
                                    },
                                );
                            } else if !waited.contains(&k)
                                && matches!(p.op, PendingOp::Put { .. } | PendingOp::Delete)
                            {
                                dropped.push(k);
                            }
                        }
                        if clear && !st.queue.clear {
                            st.queue.clear = true;
                        }
                        let js = to_js(e.clone());
                        for w in waiters {
                            after.reject.push((w.reject, js.clone()));
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
                        Self::report(st, &mut after, e.clone());
                        if !st.queue.is_empty() {
                            after.flush_later = true;
                        }
                        last = Err(e);
                    }
                }
            }
            let failed = last.is_err();
            let retry_later = after.flush_later;
            after.flush_later = false;
            self.emit_all(after);
            if failed {
                // Our index may now disagree with the disk: reload it.
                let this = self.clone();
                spawn_local(async move { this.maintain_index_only().await });
                if retry_later {
                    self.schedule_flush(false);
                }
                return last;
            }
            self.refresh_estimate();
            let again = {
                let st = self.inner.st.borrow();
                st.queue.urgent || (!st.queue.is_empty() && st.queue.ops.len() >= BATCH_MAX_OPS)
            };
            if !again {
                let pending = !self.inner.st.borrow().queue.is_empty();
                if pending {
                    self.schedule_flush(false);
                }
                return last;
            }
        }
    }

    /// After a failed write: reload the index without queueing anything.
    async fn maintain_index_only(&self) {
        let db = match &self.inner.st.borrow().disk {
            Disk::Open(db) => db.clone(),
            _ => return,
        };
        if let Ok(l) = idb::load(&db).await {
            let mut st = self.inner.st.borrow_mut();
            if !st.flushing {
                st.index.replace_all(l.records);
            }
        }
    }

    /// Delete the least recently used quarter of the disk tier (not the keys
    /// of `batch`). True when something was deleted.
    async fn free_quarter(&self, db: &IdbDatabase, batch: &[(Box<str>, Pending)]) -> bool {
        let victims = {
            let mut st = self.inner.st.borrow_mut();
            let target = st.index.bytes() - st.index.bytes() / 4;
            let in_batch = |k: &str| batch.iter().any(|(b, _)| &**b == k);
            let keys: Vec<Box<str>> = st
                .index
                .keys_lru()
                .into_iter()
                .filter(|k| !in_batch(k))
                .map(Box::from)
                .collect();
            let mut out = Vec::new();
            for k in keys {
                if st.index.bytes() <= target {
                    break;
                }
                st.index.remove(&k);
                st.index.stats.evictions += 1;
                out.push(k);
            }
            out
        };
        if victims.is_empty() {
            return false;
        }
        let ops: Vec<(JsValue, idb::Op)> = victims
            .iter()
            .map(|k| (JsValue::from_str(k), idb::Op::Delete))
            .collect();
        idb::write(db, false, &ops).await.is_ok()
    }

    // ---- lifecycle and stats ----

    /// Flush, then stop timers, listeners and the channel and close the
    /// database. Later calls reject with CACHE_CLOSED.
    pub async fn close(&self) -> Result<()> {
        if self.inner.st.borrow().closed {
            return Ok(());
        }
        let flushed = if matches!(self.inner.st.borrow().disk, Disk::Open(_)) {
            let p = self.flush().ok().flatten();
            match p {
                Some(p) => JsFuture::from(p).await.map(|_| ()).map_err(|e| from_js(&e)),
                None => Ok(()),
            }
        } else {
            Ok(())
        };
        let hooks = {
            let mut st = self.inner.st.borrow_mut();
            st.closed = true;
            if let Disk::Open(db) = &st.disk {
                db.set_onversionchange(None);
                db.set_onclose(None);
                db.close();
            }
            if !matches!(st.disk, Disk::Off) {
                st.disk = Disk::Closed;
            }
            st.mem.clear();
            st.loads.clear();
            mirror_clear(&self.inner.mirror);
            std::mem::take(&mut st.hooks)
        };
        for t in [hooks.sweep_timer, hooks.flush_timer].into_iter().flatten() {
            stop_timer(&t);
        }
        if let Some(u) = hooks.unsubscribe {
            let _ = u.call0(&JsValue::UNDEFINED);
        }
        if let Some(ch) = hooks.channel {
            ch.set_onmessage(None);
            ch.close();
        }
        // The closures go last, after nothing refers to them.
        drop(hooks.closures);
        flushed
    }

    pub fn stats(&self) -> CacheStats {
        let st = self.inner.st.borrow();
        CacheStats {
            memory: st.mem.stats(),
            disk: st.index.stats(),
            disk_status: st.disk.name(),
            pending_writes: st.queue.ops.len(),
            last_error: st.last_error.clone(),
            estimate: st.estimate,
            options: self.inner.opts.clone(),
        }
    }

    // ---- workflows (for the PerformanceManager) ----

    /// Store a workflow under its id with its content hash. When the hash
    /// differs from the stored one, everything tagged `workflow:<id>` goes
    /// first (derived entries included). Resolves to the content hash.
    pub async fn cache_workflow(
        &self,
        id: &str,
        workflow_data: &JsValue,
        ttl_seconds: Option<f64>,
    ) -> Result<String> {
        let text = js_sys::JSON::stringify(workflow_data)
            .ok()
            .and_then(|t| t.as_string())
            .ok_or_else(|| {
                FlowscaleError::at(
                    ErrorCode::InvalidWorkflow,
                    "workflowData",
                    "workflowData must be JSON data (no cycles, BigInts or undefined at the top)",
                )
            })?;
        let hash = content_hash(&text)?;
        let key = workflow_key(id);
        check_key(&key, "id")?;
        let tag = workflow_tag(id);
        let prev = self.get(&key).await?;
        let prev_hash = get(&prev, "contentHash").as_string();
        if prev_hash.is_some_and(|h| h != hash) {
            self.invalidate_matching(&tag, false).await?;
        }
        let rec = Object::new();
        set(&rec, "workflowData", workflow_data);
        set(&rec, "contentHash", &JsValue::from_str(&hash));
        set(&rec, "cachedAt", &JsValue::from_f64(now()));
        let opts = SetOptions {
            ttl_seconds,
            tags: vec![tag],
            size_bytes: Some(text.len() as f64 * 2.0),
        };
        self.set_value(&key, &rec.into(), &opts).await?;
        Ok(hash)
    }

    /// The record `{ workflowData, contentHash, cachedAt }` cached for `id`,
    /// or `None`. With `expected_hash`, a record of other content is
    /// invalidated and `None` returned.
    pub async fn get_cached_workflow(
        &self,
        id: &str,
        expected_hash: Option<&str>,
    ) -> Result<Option<JsValue>> {
        let key = workflow_key(id);
        check_key(&key, "id")?;
        let rec = self.get(&key).await?;
        if rec.is_undefined() {
            return Ok(None);
        }
        if let Some(want) = expected_hash {
            if get(&rec, "contentHash").as_string().as_deref() != Some(want) {
                self.invalidate_matching(&workflow_tag(id), false).await?;
                return Ok(None);
            }
        }
        Ok(Some(rec))
    }
}

fn closed() -> FlowscaleError {
    FlowscaleError::new(ErrorCode::CacheClosed, "the cache was closed")
}

/// A rejection value (a FlowscaleError object, or anything) → FlowscaleError.
pub fn from_js(e: &JsValue) -> FlowscaleError {
    let code = get(e, "code").as_string().unwrap_or_default();
    let message = get(e, "message")
        .as_string()
        .unwrap_or_else(|| format!("{e:?}"));
    let path = get(e, "path").as_string();
    let code = [
        ErrorCode::QuotaExceeded,
        ErrorCode::StorageUnavailable,
        ErrorCode::StorageBlocked,
        ErrorCode::TransactionAborted,
        ErrorCode::NotCloneable,
        ErrorCode::CorruptRecord,
        ErrorCode::CacheClosed,
        ErrorCode::LimitExceeded,
        ErrorCode::InvalidArgument,
    ]
    .into_iter()
    .find(|c| c.as_str() == code)
    .unwrap_or(ErrorCode::TransactionAborted);
    let message = match &path {
        Some(p) => message
            .strip_prefix(&format!("{p}: "))
            .unwrap_or(&message)
            .to_string(),
        None => message,
    };
    FlowscaleError {
        code,
        message,
        path,
    }
}
