//! The browser half of the cache (wasm32 only): holds the values (through
//! the JS mirror), carries out the write-back policy (`cache::writeback`
//! decides what to write and when, retries, who waits, what the journal
//! keeps) in IndexedDB transactions (`idb.rs`), keeps other tabs coherent
//! over a BroadcastChannel, and turns every storage fault into a coded event
//! while memory goes on serving.
//!
//! `Cache` is the Rust API (the PerformanceManager uses it directly);
//! `web/cache/mod.rs` exports it to JS as `CacheCore`.
//!
//! Re-entrancy: user code (option getters, the value's getters during
//! structured clone, loaders, error listeners) may call back into the cache.
//! So the state is borrowed only for plain Rust work and calls into our own
//! glue; every call that can run user code happens with no borrow held.

use super::idb::{self, Opened};
use crate::cache::writeback::{
    Disk, FlushAt, Match, Op, Platform, QueuedRead, Read, WriteBack, Written,
};
use crate::cache::{
    check_key, content_hash, workflow_key, workflow_tag, CacheOptions, CacheStrategy, DiskMeta,
    DiskStats, Lookup, MemoryStats, MemoryTier, NotHeld, SetOptions, SetPlan,
};
use crate::error::{ErrorCode, FlowscaleError, Result};
use crate::web::to_js;
use js_sys::{Array, Function, Object, Promise, Reflect};
use std::cell::{RefCell, RefMut};
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
    #[wasm_bindgen(js_name = trackDatabase)]
    fn track_database(db: &IdbDatabase);
}

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

/// The browser's handles in the write-back policy.
struct Browser;

impl Platform for Browser {
    type Value = JsValue;
    type ForeignKey = JsValue;
    type Waiter = Waiter;
    type Db = IdbDatabase;
}

/// A promise's resolve and reject, settled when its writes commit.
struct Waiter {
    resolve: Function,
    reject: Function,
}

/// Makes a waiter when the write-back asks for one, leaving its promise in `promise`.
fn waiter(promise: &mut Option<Promise>) -> impl FnOnce() -> Waiter + '_ {
    move || {
        let (p, resolve, reject) = deferred();
        *promise = Some(p);
        Waiter { resolve, reject }
    }
}

struct ReadReq {
    key: Box<str>,
    out: Rc<RefCell<Option<Result<Read<JsValue>>>>>,
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
    /// The disk tier: its index, the queue, the transaction in flight.
    wb: WriteBack<Browser>,
    flush_scheduled: bool,
    loads: HashMap<Box<str>, Load>,
    reads: Vec<ReadReq>,
    reads_scheduled: bool,
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

impl Cache {
    /// The state, or CACHE_CLOSED once `close()` ran: every public call
    /// starts here, so none acts on a closed cache.
    fn open_state(&self) -> Result<RefMut<'_, State>> {
        let st = self.inner.st.borrow_mut();
        if st.closed {
            return Err(closed());
        }
        Ok(st)
    }

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
        let wb = WriteBack::new(opts.strategy, opts.disk_max_bytes());
        let disk_on = opts.disk_max_mb > 0.0;
        let cache = Cache {
            inner: Rc::new(Inner {
                mirror: new_mirror(),
                emit,
                st: RefCell::new(State {
                    mem,
                    wb,
                    flush_scheduled: false,
                    loads: HashMap::new(),
                    reads: Vec::new(),
                    reads_scheduled: false,
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

    /// Carry out what the write-back asked for (waiters, events, a flush)
    /// and post `broadcast` to other tabs, with no borrow held.
    fn emit_all(&self, broadcast: Vec<JsValue>) {
        let fx = self.inner.st.borrow_mut().wb.take_effects();
        for (w, r) in fx.settled {
            let _ = match r {
                Ok(()) => w.resolve.call0(&JsValue::UNDEFINED),
                Err(e) => w.reject.call1(&JsValue::UNDEFINED, &to_js(e)),
            };
        }
        if !broadcast.is_empty() {
            let ch = self.inner.st.borrow().hooks.channel.clone();
            if let Some(ch) = ch {
                for msg in broadcast {
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
        for e in fx.events {
            call_user(&self.inner.emit, &to_js(e));
        }
        match fx.flush {
            Some(FlushAt::Now) => self.schedule_flush(true),
            Some(FlushAt::Later) => self.schedule_flush(false),
            None => {}
        }
    }

    // ---- opening and maintenance ----

    async fn open_disk(&self) {
        let name = self.inner.opts.database_name();
        match idb::open(&name).await {
            Ok(Opened::Ready(db)) => self.attach(db).await,
            Ok(Opened::Blocked { request }) => {
                self.inner.st.borrow_mut().wb.blocked(FlowscaleError::new(
                    ErrorCode::StorageBlocked,
                    "another tab holds an older version of the cache database open; \
                     serving from memory until it closes",
                ));
                self.emit_all(Vec::new());
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

    fn fail_disk(&self, to: Disk<IdbDatabase>, e: FlowscaleError) {
        let db = self.inner.st.borrow_mut().wb.fail(to, e);
        if let Some(db) = db {
            db.close();
        }
        self.emit_all(Vec::new());
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
        // Closed by the JS half if a wasm trap replaces this instance.
        track_database(&db);
        {
            let mut st = self.inner.st.borrow_mut();
            st.hooks.closures.push(on_lost);
            st.wb.attach(db);
        }
        self.maintain().await;
        self.refresh_estimate();
    }

    /// Reload the index from IndexedDB (other tabs write too), delete what
    /// expired, what is corrupted or foreign and what exceeds `diskMaxMb`,
    /// and write back access times. Run on open and every sweep.
    async fn maintain(&self) {
        let Some(db) = self.inner.st.borrow().wb.db() else {
            return;
        };
        let loaded = idb::load(&db).await;
        let flush = {
            let mut st = self.inner.st.borrow_mut();
            let st = &mut *st;
            match loaded {
                Ok(l) => {
                    let mem = &st.mem;
                    st.wb
                        .loaded(l.records, l.foreign, now(), |k| mem.contains(k))
                }
                Err(e) => {
                    st.wb.report(e);
                    false
                }
            }
        };
        self.emit_all(Vec::new());
        if flush {
            self.flush_inner().await;
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
        let ticket = {
            let mut st = self.open_state()?;
            let st = &mut *st;
            match st.wb.read(key, now()) {
                QueuedRead::Off | QueuedRead::Miss => return Ok(JsValue::UNDEFINED),
                QueuedRead::Hit(value, meta) => {
                    let plan = SetPlan {
                        expires_at: meta.expires_at,
                        tags: meta.tags,
                    };
                    let mirror = &self.inner.mirror;
                    Self::hold(st, mirror, key, key_js, &value, meta.bytes, &plan);
                    return Ok(value);
                }
                QueuedRead::Disk(ticket) => ticket,
            }
        };
        let read = self.read_batched(key).await;
        let out = {
            let mut st = self.inner.st.borrow_mut();
            let st = &mut *st;
            match st.wb.read_done(key, ticket, read, now()) {
                None => JsValue::UNDEFINED,
                Some(found) => {
                    if found.fresh && !st.mem.contains(key) && !st.closed {
                        let plan = SetPlan {
                            expires_at: found.meta.expires_at,
                            tags: found.meta.tags,
                        };
                        let mirror = &self.inner.mirror;
                        let bytes = found.meta.bytes;
                        Self::hold(st, mirror, key, key_js, &found.value, bytes, &plan);
                    }
                    found.value
                }
            }
        };
        self.emit_all(Vec::new());
        Ok(out)
    }

    /// Reads asked for in the same turn share one readonly transaction.
    async fn read_batched(&self, key: &str) -> Result<Read<JsValue>> {
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
            let db = st.wb.db();
            (db, reqs)
        };
        let results: Vec<Result<Read<JsValue>>> = match db {
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
        let mut broadcast = Vec::new();
        let mut promise = None;
        let result = {
            let mut st = self.open_state()?;
            let st = &mut *st;
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
                broadcast.push(m.into());
            }
            st.wb.put(key, value, meta, wait, waiter(&mut promise))
        };
        self.emit_all(broadcast);
        result.map(|()| promise)
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
            let mut st = self.open_state()?;
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

    /// A promise that resolves once everything queued so far is committed;
    /// `None` when the disk tier is not open.
    fn wait_flushed(st: &mut State) -> Option<Promise> {
        let mut p = None;
        st.wb.wait_flushed(waiter(&mut p));
        p
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
        let mut broadcast = Vec::new();
        let p = {
            let mut st = self.open_state()?;
            let st = &mut *st;
            if let Some(r) = st.mem.remove(&key) {
                mirror_drop(&self.inner.mirror, r.slot);
            }
            Self::mark_stale(st, |k, _| k == key);
            st.wb.delete(&key);
            if self.inner.opts.broadcast {
                broadcast.push(Self::remote_msg("delete", key_js));
            }
            Self::wait_flushed(st)
        };
        self.emit_all(broadcast);
        Ok(p)
    }

    /// Remove every entry tagged `tag` (`prefix == false`) or whose key
    /// starts with `tag` (`prefix == true`) from both tiers, including
    /// entries other tabs wrote. Resolves to the number of keys removed.
    pub async fn invalidate_matching(&self, what: &str, prefix: bool) -> Result<u32> {
        let m = if prefix {
            Match::Prefix(what)
        } else {
            Match::Tag(what)
        };
        let mut removed: HashSet<Box<str>> = HashSet::new();
        let mut broadcast = Vec::new();
        let open = {
            let mut st = self.open_state()?;
            let st = &mut *st;
            let gone = if prefix {
                st.mem.invalidate_prefix(what)
            } else {
                st.mem.invalidate_tag(what)
            };
            for r in gone {
                mirror_drop(&self.inner.mirror, r.slot);
                removed.insert(r.key);
            }
            Self::mark_stale(st, |k, l| m.hits(k, &l.tags));
            removed.extend(st.wb.invalidate_queued(m));
            if self.inner.opts.broadcast {
                let op = if prefix { "prefix" } else { "tag" };
                broadcast.push(Self::remote_msg(op, &JsValue::from_str(what)));
            }
            matches!(st.wb.disk(), Disk::Open(_))
        };
        self.emit_all(broadcast);
        if open {
            // Entries other tabs wrote since our last sweep are on disk, not
            // in our index yet: reload it first.
            self.maintain().await;
            let done = {
                let mut st = self.inner.st.borrow_mut();
                let st = &mut *st;
                removed.extend(st.wb.invalidate_indexed(m));
                // A waiter, not a direct flush: a batch may be in flight, and
                // this resolves only once our deletes are committed.
                Self::wait_flushed(st)
            };
            self.emit_all(Vec::new());
            if let Some(p) = done {
                JsFuture::from(p).await.map_err(|e| from_js(&e))?;
            }
        }
        Ok(removed.len() as u32)
    }

    /// Empty both tiers.
    pub fn clear(&self) -> Result<Option<Promise>> {
        let mut broadcast = Vec::new();
        let p = {
            let mut st = self.open_state()?;
            let st = &mut *st;
            st.mem.clear();
            mirror_clear(&self.inner.mirror);
            st.wb.clear();
            Self::mark_stale(st, |_, _| true);
            if self.inner.opts.broadcast {
                broadcast.push(Self::remote_msg("clear", &JsValue::UNDEFINED));
            }
            Self::wait_flushed(st)
        };
        self.emit_all(broadcast);
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
                st.wb.remote_put(&key, meta);
            }
            ("delete", Some(key)) => {
                if let Some(r) = st.mem.remove(&key) {
                    mirror_drop(mirror, r.slot);
                }
                Self::mark_stale(st, |l, _| l == key);
                st.wb.remote_delete(&key);
            }
            ("tag", Some(tag)) | ("prefix", Some(tag)) => {
                let (m, gone) = if op == "prefix" {
                    (Match::Prefix(&tag), st.mem.invalidate_prefix(&tag))
                } else {
                    (Match::Tag(&tag), st.mem.invalidate_tag(&tag))
                };
                for r in gone {
                    mirror_drop(mirror, r.slot);
                }
                Self::mark_stale(st, |l, load| m.hits(l, &load.tags));
                st.wb.remote_match(m);
            }
            ("clear", _) => {
                st.mem.clear();
                mirror_clear(mirror);
                st.wb.remote_clear();
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

    /// The writes an unload would lose (`WriteBack::journal`), as
    /// `[key, value, expiresAt, tags, setAt]` for a put and `[key]` for a delete.
    pub fn journal(&self) -> Option<Array> {
        let st = self.inner.st.borrow();
        let out = Array::new();
        for (k, put) in st.wb.journal()? {
            let entry = Array::of1(&JsValue::from_str(k));
            if let Some((value, meta)) = put {
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
        if !matches!(self.inner.st.borrow().wb.disk(), Disk::Open(_)) {
            return Err(FlowscaleError::new(
                ErrorCode::StorageUnavailable,
                "the disk tier is not open; the journal stays for a later open",
            ));
        }
        let t = now();
        let waits = Array::new();
        for (i, e) in entries.iter().enumerate() {
            // One bad entry is reported and skipped; the others still count.
            match self.replay_one(&e, at, t) {
                Ok(Some(p)) => {
                    waits.push(&p);
                }
                Ok(None) => {}
                Err(mut err) => {
                    err.path = Some(format!("journal[{i}]"));
                    self.inner.st.borrow_mut().wb.report(err);
                }
            }
        }
        self.emit_all(Vec::new());
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
        if self.inner.st.borrow().wb.seen_since(&key, made) {
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
        let mut p = None;
        self.inner
            .st
            .borrow_mut()
            .wb
            .request_flush(waiter(&mut p))?;
        self.emit_all(Vec::new());
        Ok(p)
    }

    /// Run transactions until the queue holds nothing urgent. Errors reach
    /// waiters and listeners.
    async fn flush_inner(&self) {
        loop {
            let batch = {
                let mut st = self.inner.st.borrow_mut();
                let st = &mut *st;
                let mem = &st.mem;
                st.wb.begin_flush(|k| mem.contains(k))
            };
            let Some(batch) = batch else {
                // Waiters may have been answered (the disk tier is not open).
                self.emit_all(Vec::new());
                return;
            };
            let write = || idb::write(&batch.db, batch.clear, &batch.ops, &batch.foreign);
            let mut outcome = write().await;
            let settled = loop {
                let next = self.inner.st.borrow_mut().wb.written(outcome);
                match next {
                    Written::MakeRoom { victims, error } => {
                        let room: Vec<(Box<str>, Op<JsValue>)> =
                            victims.into_iter().map(|k| (k, Op::Delete)).collect();
                        outcome = match idb::write(&batch.db, false, &room, &[]).await {
                            Ok(_) => write().await,
                            Err(_) => Err(error),
                        };
                    }
                    Written::Done(s) => break s,
                }
            };
            self.emit_all(Vec::new());
            if settled.failed {
                // Our index may now disagree with the disk: reload it.
                let this = self.clone();
                spawn_local(async move { this.maintain_index_only().await });
                if settled.next.is_some() {
                    self.schedule_flush(false);
                }
                return;
            }
            self.refresh_estimate();
            match settled.next {
                Some(FlushAt::Now) => continue,
                Some(FlushAt::Later) => self.schedule_flush(false),
                None => {}
            }
            return;
        }
    }

    /// After a failed write: reload the index without queueing anything.
    async fn maintain_index_only(&self) {
        let Some(db) = self.inner.st.borrow().wb.db() else {
            return;
        };
        if let Ok(l) = idb::load(&db).await {
            self.inner.st.borrow_mut().wb.reloaded(l.records);
        }
    }

    // ---- lifecycle and stats ----

    /// Flush, then stop timers, listeners and the channel and close the
    /// database. Later calls reject with CACHE_CLOSED.
    pub async fn close(&self) -> Result<()> {
        if self.inner.st.borrow().closed {
            return Ok(());
        }
        let flushed = if matches!(self.inner.st.borrow().wb.disk(), Disk::Open(_)) {
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
            if let Some(db) = st.wb.shut() {
                db.set_onversionchange(None);
                db.set_onclose(None);
                db.close();
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
            disk: st.wb.index().stats(),
            disk_status: st.wb.disk().name(),
            pending_writes: st.wb.pending_writes(),
            last_error: st.wb.last_error().cloned(),
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
