//! The cache's Rust API (what the PerformanceManager uses) in headless
//! Chromium with real IndexedDB (wasm-bindgen-test): open, set/get across
//! reopening, workflows keyed by id and invalidated by content hash.
#![cfg(target_arch = "wasm32")]

use flowscale::cache::{CacheConfig, CacheOptions, SetOptions};
use flowscale::web::cache::Cache;
use js_sys::{Function, Reflect, JSON};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn js(text: &str) -> JsValue {
    JSON::parse(text).expect("test JSON parses")
}

fn prop(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn options(name: &str) -> CacheOptions {
    CacheOptions {
        name: name.into(),
        ..CacheOptions::from_config(&CacheConfig::default())
    }
}

async fn open(name: &str) -> Cache {
    Cache::open(options(name), Function::new_no_args(""))
        .await
        .unwrap()
}

#[wasm_bindgen_test]
async fn values_survive_reopening() {
    let cache = open("rust-api").await;
    assert_eq!(cache.stats().disk_status, "ok");
    cache
        .set_value("k", &js(r#"{"a":[1,2]}"#), &SetOptions::default())
        .await
        .unwrap();
    assert!(cache.get_memory("k").is_some());
    cache.close().await.unwrap();
    let again = open("rust-api").await;
    assert!(again.get_memory("k").is_none(), "a fresh memory tier");
    let v = again.get("k").await.unwrap();
    assert_eq!(JSON::stringify(&v).unwrap(), "{\"a\":[1,2]}");
    assert_eq!(again.stats().disk.hits, 1);
    again.close().await.unwrap();
}

#[wasm_bindgen_test]
async fn workflows_are_keyed_by_id_and_invalidated_by_content() {
    let cache = open("rust-api-wf").await;
    let wf = js(r#"{"nodes":[{"id":"a","position":{"x":0,"y":0}}],"edges":[]}"#);
    let h1 = cache.cache_workflow("w1", &wf, Some(60.0)).await.unwrap();
    // Something derived from w1, tagged with it.
    let derived = SetOptions {
        tags: vec!["workflow:w1".into()],
        ..Default::default()
    };
    cache
        .set_value("w1:layout", &JsValue::from_str("layout"), &derived)
        .await
        .unwrap();
    let same = js(r#"{"edges":[],"nodes":[{"position":{"y":0,"x":0},"id":"a"}]}"#);
    assert_eq!(cache.cache_workflow("w1", &same, None).await.unwrap(), h1);
    assert!(
        cache.get_memory("w1:layout").is_some(),
        "same content keeps derived entries"
    );
    let changed = js(r#"{"nodes":[{"id":"a","position":{"x":5,"y":0}}],"edges":[]}"#);
    let h2 = cache.cache_workflow("w1", &changed, None).await.unwrap();
    assert_ne!(h1, h2);
    assert!(cache.get("w1:layout").await.unwrap().is_undefined());
    let rec = cache
        .get_cached_workflow("w1", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(prop(&rec, "contentHash").as_string(), Some(h2.clone()));
    assert!(cache
        .get_cached_workflow("w1", Some(&h1))
        .await
        .unwrap()
        .is_none());
    assert!(cache
        .get_cached_workflow("nope", None)
        .await
        .unwrap()
        .is_none());
    cache.close().await.unwrap();
}
