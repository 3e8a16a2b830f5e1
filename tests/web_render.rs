//! The GPU layer in headless Chromium (WebGL2 on SwiftShader): the same scenes
//! as tests/render.rs through the JS-facing API, pixels read back; and the bad
//! inputs (zero-size canvas, detached canvas, resize to 0, render before a frame).
#![cfg(all(target_arch = "wasm32", feature = "render"))]

use flowscale::web::{JsRenderer, JsWorkflowOptimizer};
use js_sys::{Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::HtmlCanvasElement;

wasm_bindgen_test_configure!(run_in_browser);

fn js(text: &str) -> JsValue {
    JSON::parse(text).expect("test JSON parses")
}

fn prop(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn canvas(w: u32, h: u32) -> HtmlCanvasElement {
    let doc = web_sys::window().unwrap().document().unwrap();
    let c: HtmlCanvasElement = doc.create_element("canvas").unwrap().dyn_into().unwrap();
    c.set_width(w);
    c.set_height(h);
    doc.body().unwrap().append_child(&c).unwrap();
    c
}

fn optimizer() -> JsWorkflowOptimizer {
    let mut opt = JsWorkflowOptimizer::new(JsValue::UNDEFINED).unwrap();
    opt.set_workflow(js(r##"{"nodes":[
        {"id":"a","type":"red","position":{"x":100,"y":100},"width":200,"height":100,"sourcePosition":"right","targetPosition":"left"},
        {"id":"b","type":"blue","position":{"x":500,"y":300},"width":150,"height":60,"sourcePosition":"right","targetPosition":"left"}],
      "edges":[{"id":"e","source":"a","target":"b"}]}"##))
        .unwrap();
    opt
}

const OPTIONS: &str = r##"{"draw":"all","backend":"webgl2","palette":{"background":"#ffffff",
    "types":{"red":{"fill":"#dc2828","border":"#141414"},"blue":{"fill":"#283cdc","border":"#141414"}}}}"##;

async fn create(
    c: &HtmlCanvasElement,
    opt: &JsWorkflowOptimizer,
    options: &str,
) -> Result<JsRenderer, JsValue> {
    let promise = JsRenderer::create(c.clone().into(), opt, js(options))?;
    let r = JsFuture::from(promise).await?;
    // The promise resolves to the JS wrapper; take the Rust value back out of it.
    <JsRenderer as wasm_bindgen::convert::TryFromJsValue>::try_from_js_value(r)
}

async fn pixels(r: &mut JsRenderer) -> Vec<u8> {
    let p = JsFuture::from(r.read_pixels().unwrap()).await.unwrap();
    js_sys::Uint8Array::from(p).to_vec()
}

fn at(px: &[u8], w: u32, x: u32, y: u32) -> [u8; 4] {
    let i = ((y * w + x) * 4) as usize;
    [px[i], px[i + 1], px[i + 2], px[i + 3]]
}

fn close(a: [u8; 4], b: [u8; 4]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 3)
}

#[wasm_bindgen_test]
async fn draws_nodes_and_edges_in_webgl2() {
    let c = canvas(800, 600);
    let mut opt = optimizer();
    let mut r = create(&c, &opt, OPTIONS).await.expect("WebGL2 renderer");
    assert!(r.backend().starts_with("Gl"), "{}", r.backend());
    let frame = opt
        .frame(
            js(r#"{"x":0,"y":0,"zoom":1}"#),
            js(r#"{"width":800,"height":600}"#),
        )
        .unwrap();
    r.render(frame).unwrap();
    let stats = r.stats().unwrap();
    assert_eq!(prop(&stats, "nodes").as_f64(), Some(2.0));
    assert_eq!(prop(&stats, "edges").as_f64(), Some(1.0));
    assert!(prop(&stats, "drawCalls").as_f64().unwrap() <= 4.0);
    let px = pixels(&mut r).await;
    assert!(
        close(at(&px, 800, 200, 150), [0xdc, 0x28, 0x28, 255]),
        "{:?}",
        at(&px, 800, 200, 150)
    );
    assert!(
        close(at(&px, 800, 575, 330), [0x28, 0x3c, 0xdc, 255]),
        "{:?}",
        at(&px, 800, 575, 330)
    );
    assert_eq!(at(&px, 800, 40, 500), [255, 255, 255, 255]);
    // The edge crosses the middle of the bezier between the handles.
    let mid = at(&px, 800, 400, 240);
    assert!(mid[0] < 245, "no edge at the bezier's midpoint: {mid:?}");

    // DPR 2: the same scene at twice the pixels.
    r.resize(800.0, 600.0, 2.0).unwrap();
    assert_eq!(c.width(), 1600);
    let frame = opt
        .frame(
            js(r#"{"x":0,"y":0,"zoom":1}"#),
            js(r#"{"width":800,"height":600}"#),
        )
        .unwrap();
    r.render(frame).unwrap();
    let px = pixels(&mut r).await;
    assert!(close(at(&px, 1600, 400, 300), [0xdc, 0x28, 0x28, 255]));
    assert_eq!(at(&px, 1600, 190, 300), [255, 255, 255, 255]);
    r.destroy();
}

#[wasm_bindgen_test]
async fn bad_input_is_an_error_not_a_panic() {
    let mut opt = optimizer();
    // A canvas without pixels.
    let err = create(&canvas(0, 0), &opt, "{}")
        .await
        .err()
        .expect("zero-size canvas rejected");
    assert_eq!(
        prop(&err, "code").as_string().as_deref(),
        Some("INVALID_VIEWPORT")
    );
    // Bad options.
    let err = create(&canvas(10, 10), &opt, r#"{"draw":"everything"}"#)
        .await
        .err()
        .unwrap();
    assert_eq!(
        prop(&err, "path").as_string().as_deref(),
        Some("options.draw")
    );
    let err = create(&canvas(10, 10), &opt, r#"{"palette":{"edge":"blue"}}"#)
        .await
        .err()
        .unwrap();
    assert_eq!(
        prop(&err, "path").as_string().as_deref(),
        Some("options.palette.edge")
    );
    // Not a canvas.
    let err = JsRenderer::create(js("{}"), &opt, JsValue::UNDEFINED)
        .err()
        .unwrap();
    assert_eq!(prop(&err, "path").as_string().as_deref(), Some("canvas"));

    let c = canvas(64, 64);
    let mut r = create(&c, &opt, r#"{"backend":"webgl2"}"#).await.unwrap();
    // Render before any frame.
    let err = r.render(JsValue::UNDEFINED).unwrap_err();
    assert_eq!(
        prop(&err, "code").as_string().as_deref(),
        Some("INVALID_VIEWPORT")
    );
    // Resize to nothing.
    let err = r.resize(0.0, 64.0, 1.0).unwrap_err();
    assert_eq!(
        prop(&err, "code").as_string().as_deref(),
        Some("INVALID_VIEWPORT")
    );
    let err = r.resize(64.0, 64.0, f64::NAN).unwrap_err();
    assert_eq!(prop(&err, "path").as_string().as_deref(), Some("dpr"));
    // Not a frame; a frame older than the optimizer's latest.
    let frame = opt
        .frame(
            js(r#"{"x":0,"y":0,"zoom":1}"#),
            js(r#"{"width":64,"height":64}"#),
        )
        .unwrap();
    for not_a_frame in [JsValue::from(5), js(r#"{"seq":"1"}"#)] {
        let err = r.render(not_a_frame).unwrap_err();
        assert_eq!(
            prop(&err, "code").as_string().as_deref(),
            Some("INVALID_ARGUMENT")
        );
        assert_eq!(prop(&err, "path").as_string().as_deref(), Some("frame"));
    }
    let older = frame;
    let frame = opt
        .frame(
            js(r#"{"x":10,"y":0,"zoom":1}"#),
            js(r#"{"width":64,"height":64}"#),
        )
        .unwrap();
    let err = r.render(older).unwrap_err();
    assert_eq!(
        prop(&err, "code").as_string().as_deref(),
        Some("STALE_FRAME")
    );
    r.render(frame.clone()).unwrap();
    r.render(JsValue::UNDEFINED).unwrap(); // the latest frame
                                           // A canvas removed from the page.
    c.remove();
    let err = r.render(frame.clone()).unwrap_err();
    assert_eq!(
        prop(&err, "code").as_string().as_deref(),
        Some("GPU_UNAVAILABLE")
    );
    // Destroyed.
    r.destroy();
    assert_eq!(
        prop(&r.render(frame).unwrap_err(), "code")
            .as_string()
            .as_deref(),
        Some("GPU_UNAVAILABLE")
    );
}

#[wasm_bindgen_test]
async fn survives_webgl_context_loss() {
    let c = canvas(200, 200);
    let mut opt = optimizer();
    let mut r = create(&c, &opt, OPTIONS).await.unwrap();
    let ctx = c.get_context("webgl2").unwrap().unwrap();
    let ext = Reflect::get(&ctx, &"getExtension".into())
        .unwrap()
        .dyn_into::<js_sys::Function>()
        .unwrap()
        .call1(&ctx, &"WEBGL_lose_context".into())
        .unwrap();
    let call = |name: &str| {
        Reflect::get(&ext, &name.into())
            .unwrap()
            .dyn_into::<js_sys::Function>()
            .unwrap()
            .call0(&ext)
            .unwrap();
    };
    call("loseContext");
    sleep(50).await;
    let frame = opt
        .frame(
            js(r#"{"x":-100,"y":-100,"zoom":1}"#),
            js(r#"{"width":200,"height":200}"#),
        )
        .unwrap();
    let err = r.render(frame.clone()).unwrap_err();
    assert_eq!(
        prop(&err, "code").as_string().as_deref(),
        Some("GPU_UNAVAILABLE")
    );
    assert_eq!(prop(&r.stats().unwrap(), "lost").as_bool(), Some(true));
    call("restoreContext");
    // The renderer rebuilds itself; then it draws again.
    let mut ok = false;
    for _ in 0..100 {
        sleep(20).await;
        if r.render(frame.clone()).is_ok() {
            ok = true;
            break;
        }
    }
    assert!(ok, "the renderer never came back after restoreContext");
    let px = pixels(&mut r).await;
    assert!(
        close(at(&px, 200, 100, 50), [0xdc, 0x28, 0x28, 255]),
        "{:?}",
        at(&px, 200, 100, 50)
    );
}

async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}
