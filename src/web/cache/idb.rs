//! The IndexedDB adapter (wasm32 only), on raw `web-sys`.
//!
//! Why not a wrapper crate: the cache needs `blocked` on open (to go on
//! serving from memory while another tab holds an old version),
//! `versionchange` and `close` on the connection, the `DOMException` of an
//! aborted transaction (to tell `QuotaExceededError` from an abort), and one
//! transaction per batch awaited once. Checked again with `idb` 0.6.5,
//! `indexed_db_futures` 0.6.4 and `rexie` 0.6.2: `idb` now has the three
//! events, but awaiting a transaction consumes it and yields `Aborted`
//! without its error, and its error path looks for the error on the event's
//! target (the failed request, not the transaction), so quota cannot be told
//! from an abort without a second raw handle; `indexed_db_futures` (the
//! connection's events behind its `version-change` feature) reports how a
//! transaction finished, not its `DOMException`; `rexie` has none of the
//! events. Each would carry the plumbing while the error still came from
//! `web-sys`, with closures and channels per request on top. Here each
//! request or transaction becomes a `Promise` whose `resolve`/`reject` are
//! its event handlers (no closures to keep alive).
//! IndexedDB commits a transaction when control returns to the event loop
//! with no request pending; every function here issues all its requests
//! before its first `await`, so that rule never bites.
//!
//! Layout: database `flowscale-cache:<name>`, version `SCHEMA_VERSION`, two
//! object stores with out-of-line string keys:
//! - `values`: `{ v: <the value, structured-cloned> }`
//! - `meta`:   `{ s: bytes, e: expiresAt ms (Infinity: never), a: accessedAt ms, t: tags[] }`
//!
//! Both are written in the same transaction, so a key has both or neither;
//! a record that breaks this (or has another shape) is foreign or corrupted
//! and gets deleted.
//!
//! Every write is one readwrite transaction with `durability: 'strict'`
//! (`writeTransaction` in cache.js), and a write is acknowledged (a
//! write-through `set`, a `flush()`) only on its `complete`: with strict
//! durability the browser fires it after flushing the commit to disk
//! (Chromium: an `fdatasync` per commit; with its default, 'relaxed', none),
//! so an acknowledged write survives the browser being killed and, as far as
//! the browser's own promise goes, the machine losing power. The database's
//! creation (the `versionchange` transaction, which takes no durability
//! option) needs nothing more: Chromium flushes that commit itself (2 to 4
//! `fdatasync` calls measured when a database is created).

use crate::cache::writeback::{Op, Read};
use crate::cache::DiskMeta;
use crate::error::{ErrorCode, FlowscaleError};
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbFactory, IdbObjectStore, IdbOpenDbRequest, IdbRequest, IdbTransaction,
    IdbTransactionMode, IdbVersionChangeEvent,
};

/// Version 1 is what `indexedDB.open(name)` without a version creates (an
/// empty database); starting at 2 means such a database is upgraded into
/// ours rather than mistaken for it.
pub const SCHEMA_VERSION: u32 = 2;
pub const VALUES: &str = "values";
pub const META: &str = "meta";

#[wasm_bindgen(module = "/src/web/cache.js")]
extern "C" {
    /// `globalThis.indexedDB`, or undefined (reading it throws in some sandboxes).
    #[wasm_bindgen(js_name = idbFactory)]
    fn idb_factory() -> JsValue;
    /// `db.transaction(['values', 'meta'], 'readwrite', { durability: 'strict' })`.
    #[wasm_bindgen(js_name = writeTransaction, catch)]
    fn write_transaction(db: &IdbDatabase) -> Result<IdbTransaction, JsValue>;
    /// Both records of a put, built on the JS side (one crossing, no key strings to build).
    #[wasm_bindgen(js_name = putRecord, catch)]
    #[allow(clippy::too_many_arguments)]
    fn put_record(
        values: &IdbObjectStore,
        meta: &IdbObjectStore,
        key: &JsValue,
        value: &JsValue,
        s: f64,
        e: f64,
        a: f64,
        tags: &JsValue,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = putMeta, catch)]
    fn put_meta(
        meta: &IdbObjectStore,
        key: &JsValue,
        s: f64,
        e: f64,
        a: f64,
        tags: &JsValue,
    ) -> Result<(), JsValue>;
}

fn tags_js(m: &DiskMeta) -> JsValue {
    if m.tags.is_empty() {
        JsValue::UNDEFINED
    } else {
        m.tags
            .iter()
            .map(|t| JsValue::from_str(t))
            .collect::<Array>()
            .into()
    }
}

fn err(code: ErrorCode, message: impl Into<String>) -> FlowscaleError {
    FlowscaleError::new(code, message)
}

/// The name and message of a DOMException (or any thrown value).
pub fn describe(e: &JsValue) -> (String, String) {
    let get = |k: &str| {
        Reflect::get(e, &JsValue::from_str(k))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    if e.is_null() || e.is_undefined() {
        return ("AbortError".into(), "the transaction was aborted".into());
    }
    let name = get("name");
    let message = get("message");
    if name.is_empty() && message.is_empty() {
        return ("Error".into(), format!("{e:?}"));
    }
    (name, message)
}

/// A DOMException from IndexedDB → a coded error. `during` says what we were doing.
pub fn map_error(e: &JsValue, during: &str) -> FlowscaleError {
    let (name, message) = describe(e);
    let code = match name.as_str() {
        "QuotaExceededError" => ErrorCode::QuotaExceeded,
        "DataCloneError" => ErrorCode::NotCloneable,
        "AbortError" => ErrorCode::TransactionAborted,
        "InvalidStateError" | "NotFoundError" | "SecurityError" | "VersionError" => {
            ErrorCode::StorageUnavailable
        }
        _ => ErrorCode::TransactionAborted,
    };
    err(
        code,
        format!("IndexedDB {during} failed: {name}: {message}"),
    )
}

fn request_promise(req: &IdbRequest) -> Promise {
    Promise::new(&mut |resolve: Function, reject: Function| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
    })
}

/// Wait for a request; its result, or the request's error mapped.
async fn request(req: &IdbRequest, during: &str) -> Result<JsValue, FlowscaleError> {
    match JsFuture::from(request_promise(req)).await {
        Ok(_) => req.result().map_err(|e| map_error(&e, during)),
        Err(_) => Err(map_error(
            &req.error()
                .ok()
                .flatten()
                .map(JsValue::from)
                .unwrap_or(JsValue::NULL),
            during,
        )),
    }
}

/// Wait for a transaction to commit; on abort, its error mapped.
async fn done(tx: &IdbTransaction, during: &str) -> Result<(), FlowscaleError> {
    let p = Promise::new(&mut |resolve: Function, reject: Function| {
        tx.set_oncomplete(Some(&resolve));
        tx.set_onabort(Some(&reject));
    });
    match JsFuture::from(p).await {
        Ok(_) => Ok(()),
        Err(_) => Err(map_error(
            &tx.error().map(JsValue::from).unwrap_or(JsValue::NULL),
            during,
        )),
    }
}

pub enum Opened {
    Ready(IdbDatabase),
    /// Another connection holds an older version open; `wait_unblocked`
    /// finishes the open once it closes.
    Blocked {
        request: IdbOpenDbRequest,
    },
}

/// Open (creating or upgrading) the cache database.
pub async fn open(name: &str) -> Result<Opened, FlowscaleError> {
    let factory = idb_factory();
    let factory: IdbFactory = factory.dyn_into().map_err(|_| {
        err(
            ErrorCode::StorageUnavailable,
            "IndexedDB is not available here (private mode, a sandboxed frame, or not a browser)",
        )
    })?;
    let req = factory
        .open_with_u32(name, SCHEMA_VERSION)
        .map_err(|e| map_error(&e, "open"))?;
    let for_upgrade = req.clone();
    let upgrade = Closure::once_into_js(move |ev: IdbVersionChangeEvent| {
        upgrade(&for_upgrade, ev.old_version());
    });
    req.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    let first = Promise::new(&mut |resolve: Function, reject: Function| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
        req.set_onblocked(Some(&resolve));
    });
    match JsFuture::from(first).await {
        Ok(ev) => {
            let ty = Reflect::get(&ev, &JsValue::from_str("type"))
                .ok()
                .and_then(|t| t.as_string());
            if ty.as_deref() == Some("blocked") {
                return Ok(Opened::Blocked { request: req });
            }
            let db = req.result().map_err(|e| map_error(&e, "open"))?;
            db.dyn_into().map(Opened::Ready).map_err(|_| {
                err(
                    ErrorCode::StorageUnavailable,
                    "IndexedDB open returned no database",
                )
            })
        }
        Err(_) => Err(open_error(&req)),
    }
}

fn open_error(req: &IdbOpenDbRequest) -> FlowscaleError {
    let e = req
        .error()
        .ok()
        .flatten()
        .map(JsValue::from)
        .unwrap_or(JsValue::NULL);
    let mut out = map_error(&e, "open");
    out.code = ErrorCode::StorageUnavailable;
    out
}

/// After `Opened::Blocked`: wait until the upgrade can run.
pub async fn wait_unblocked(req: &IdbOpenDbRequest) -> Result<IdbDatabase, FlowscaleError> {
    let p = Promise::new(&mut |resolve: Function, reject: Function| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
    });
    match JsFuture::from(p).await {
        Ok(_) => req
            .result()
            .ok()
            .and_then(|db| db.dyn_into().ok())
            .ok_or_else(|| {
                err(
                    ErrorCode::StorageUnavailable,
                    "IndexedDB open returned no database",
                )
            }),
        Err(_) => Err(open_error(req)),
    }
}

/// `upgradeneeded`: from nothing (0) or a foreign version 1, drop whatever
/// stores exist and create ours. Later schema versions migrate here.
fn upgrade(req: &IdbOpenDbRequest, old_version: f64) {
    let Some(db) = req
        .result()
        .ok()
        .and_then(|d| d.dyn_into::<IdbDatabase>().ok())
    else {
        return;
    };
    if old_version < 2.0 {
        let names = db.object_store_names();
        let existing: Vec<String> = (0..names.length()).filter_map(|i| names.item(i)).collect();
        for n in existing {
            let _ = db.delete_object_store(&n);
        }
        // Failures here surface as NotFoundError on first use → STORAGE_UNAVAILABLE.
        let _ = db.create_object_store(VALUES);
        let _ = db.create_object_store(META);
    }
}

fn stores(
    db: &IdbDatabase,
    mode: IdbTransactionMode,
    during: &str,
) -> Result<(IdbTransaction, IdbObjectStore, IdbObjectStore), FlowscaleError> {
    let tx = if mode == IdbTransactionMode::Readwrite {
        write_transaction(db)
    } else {
        let names = Array::of2(&JsValue::from_str(VALUES), &JsValue::from_str(META));
        db.transaction_with_str_sequence_and_mode(&names, mode)
    }
    .map_err(|e| map_error(&e, during))?;
    let values = tx.object_store(VALUES).map_err(|e| map_error(&e, during))?;
    let meta = tx.object_store(META).map_err(|e| map_error(&e, during))?;
    Ok((tx, values, meta))
}

fn set(obj: &Object, k: &str, v: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(k), v);
}

fn get(obj: &JsValue, k: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
}

pub fn meta_record(m: &DiskMeta) -> JsValue {
    let o = Object::new();
    set(&o, "s", &JsValue::from_f64(m.bytes as f64));
    set(&o, "e", &JsValue::from_f64(m.expires_at));
    set(&o, "a", &JsValue::from_f64(m.accessed_at));
    let tags: Array = m.tags.iter().map(|t| JsValue::from_str(t)).collect();
    set(&o, "t", &tags);
    o.into()
}

/// A stored meta record → `DiskMeta`, or `None` when it is not one of ours.
pub fn parse_meta(rec: &JsValue) -> Option<DiskMeta> {
    if !rec.is_object() {
        return None;
    }
    let tags = get(rec, "t");
    let tags: Option<Vec<String>> = tags
        .dyn_ref::<Array>()
        .and_then(|a| a.iter().map(|t| t.as_string()).collect());
    DiskMeta::from_fields(
        get(rec, "s").as_f64(),
        get(rec, "e").as_f64(),
        get(rec, "a").as_f64(),
        tags,
    )
}

/// `{ v }` → the value, or `None` for a foreign shape.
fn parse_value(rec: &JsValue) -> Option<JsValue> {
    if !rec.is_object() || !Reflect::has(rec, &JsValue::from_str("v")).unwrap_or(false) {
        return None;
    }
    let v = get(rec, "v");
    (!v.is_undefined()).then_some(v)
}

/// What the database holds, for the disk index.
pub struct Loaded {
    pub records: Vec<(String, DiskMeta)>,
    /// Keys of records to delete: foreign shapes, a value without meta or the reverse.
    pub foreign: Vec<JsValue>,
}

pub async fn load(db: &IdbDatabase) -> Result<Loaded, FlowscaleError> {
    let (_tx, values, meta) = stores(db, IdbTransactionMode::Readonly, "loading the index")?;
    let during = "loading the index";
    let r_meta = meta.get_all().map_err(|e| map_error(&e, during))?;
    let r_keys = meta.get_all_keys().map_err(|e| map_error(&e, during))?;
    let r_vkeys = values.get_all_keys().map_err(|e| map_error(&e, during))?;
    let metas: Array = request(&r_meta, during).await?.unchecked_into();
    let keys: Array = request(&r_keys, during).await?.unchecked_into();
    let vkeys: Array = request(&r_vkeys, during).await?.unchecked_into();
    let mut with_value: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut foreign = Vec::new();
    for k in vkeys.iter() {
        match k.as_string() {
            Some(s) => {
                with_value.insert(s);
            }
            None => foreign.push(k),
        }
    }
    let mut records = Vec::with_capacity(keys.length() as usize);
    let mut with_meta: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (k, m) in keys.iter().zip(metas.iter()) {
        match (k.as_string(), parse_meta(&m)) {
            (Some(key), Some(meta)) if with_value.contains(&key) => {
                with_meta.insert(key.clone());
                records.push((key, meta));
            }
            _ => foreign.push(k),
        }
    }
    for k in with_value.difference(&with_meta) {
        if !foreign
            .iter()
            .any(|b| b.as_string().as_deref() == Some(k.as_str()))
        {
            foreign.push(JsValue::from_str(k));
        }
    }
    Ok(Loaded { records, foreign })
}

/// Read several keys in one transaction (all requests issued before the first await).
pub async fn read_many(
    db: &IdbDatabase,
    keys: &[Box<str>],
) -> Result<Vec<Read<JsValue>>, FlowscaleError> {
    let during = "read";
    let (_tx, values, meta) = stores(db, IdbTransactionMode::Readonly, during)?;
    let mut reqs = Vec::with_capacity(keys.len());
    for key in keys {
        let k = JsValue::from_str(key);
        let rv = values.get(&k).map_err(|e| map_error(&e, during))?;
        let rm = meta.get(&k).map_err(|e| map_error(&e, during))?;
        reqs.push((rv, rm));
    }
    let mut out = Vec::with_capacity(keys.len());
    for (rv, rm) in reqs {
        let v = request(&rv, during).await?;
        let m = request(&rm, during).await?;
        out.push(if v.is_undefined() && m.is_undefined() {
            Read::Missing
        } else {
            match (parse_value(&v), parse_meta(&m)) {
                (Some(value), Some(meta)) => Read::Found { value, meta },
                _ => Read::Corrupt,
            }
        });
    }
    Ok(out)
}

/// Write a batch in one transaction: optionally clear both stores first,
/// then every op in order (`Op::Meta` rewrites the meta record only), then
/// delete the `foreign` records. Returns the ops whose value could not be
/// cloned (those were skipped; the rest committed), or the transaction's error.
pub async fn write(
    db: &IdbDatabase,
    clear: bool,
    ops: &[(Box<str>, Op<JsValue>)],
    foreign: &[JsValue],
) -> Result<Vec<(usize, FlowscaleError)>, FlowscaleError> {
    let during = "write";
    let (tx, values, meta) = stores(db, IdbTransactionMode::Readwrite, during)?;
    let mut skipped = Vec::new();
    let issue = |res: Result<IdbRequest, JsValue>| res.map(|_| ());
    if clear {
        issue(values.clear()).map_err(|e| map_error(&e, during))?;
        issue(meta.clear()).map_err(|e| map_error(&e, during))?;
    }
    for (i, (key, op)) in ops.iter().enumerate() {
        let key = &JsValue::from_str(key);
        let r = match op {
            Op::Put { value, meta: m } => put_record(
                &values,
                &meta,
                key,
                value,
                m.bytes as f64,
                m.expires_at,
                m.accessed_at,
                &tags_js(m),
            ),
            Op::Meta(m) => put_meta(
                &meta,
                key,
                m.bytes as f64,
                m.expires_at,
                m.accessed_at,
                &tags_js(m),
            ),
            Op::Delete => issue(values.delete(key)).and_then(|_| issue(meta.delete(key))),
        };
        if let Err(e) = r {
            let mapped = map_error(&e, during);
            if mapped.code == ErrorCode::NotCloneable {
                // Thrown synchronously by put(): nothing was queued for this
                // key, the transaction goes on.
                skipped.push((i, mapped));
            } else {
                let _ = tx.abort();
                return Err(mapped);
            }
        }
    }
    for key in foreign {
        if let Err(e) = issue(values.delete(key)).and_then(|_| issue(meta.delete(key))) {
            let _ = tx.abort();
            return Err(map_error(&e, during));
        }
    }
    done(&tx, during).await?;
    Ok(skipped)
}
