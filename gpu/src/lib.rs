//! flowscale's GPU module: the renderer's wgpu half, a wasm module of its
//! own. The page loads it when it first creates a `Renderer` (renderer.js in
//! the main package), so the per-frame core is all a page pays before its
//! first render. What to draw comes from the core's `SceneCore` as typed
//! arrays (texel runs, lists, the view uniform); this module uploads them to
//! WebGPU (when the browser offers an adapter) or WebGL2 and draws.
//!
//! Errors are `Error` objects with `name` 'FlowscaleError', `code` and
//! `path`; renderer.js turns them into the package's own FlowscaleError.
#![cfg(target_arch = "wasm32")]

use flowscale::render::offscreen::Offscreen;
use flowscale::render::{GpuLayer, TexelRun, LIST_STRIDES, VIEW_BYTES};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

#[wasm_bindgen(inline_js = "
export function makeError(code, message, path) {
  const e = new Error(message);
  e.name = 'FlowscaleError';
  e.code = code;
  if (path) e.path = path;
  return e;
}
export function now() { return performance.now(); }
")]
extern "C" {
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(code: &str, message: &str, path: &str) -> JsValue;
    fn now() -> f64;
}

fn unavailable(path: &str, message: impl AsRef<str>) -> JsValue {
    make_error("GPU_UNAVAILABLE", message.as_ref(), path)
}

fn invalid(code: &str, path: &str, message: impl AsRef<str>) -> JsValue {
    make_error(code, message.as_ref(), path)
}

struct Gpu {
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    layer: GpuLayer,
    backend: String,
    /// Why the device was lost, once it was (set by wgpu's device-lost
    /// callback). A lost WebGPU device stays lost: every buffer mapping on it
    /// fails and nothing it draws reaches the canvas.
    lost: Arc<Mutex<Option<String>>>,
}

impl Gpu {
    fn lost(&self) -> Option<String> {
        self.lost.lock().ok().and_then(|l| l.clone())
    }
}

async fn make_gpu(canvas: HtmlCanvasElement, backend: &str) -> Result<Gpu, JsValue> {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = match backend {
        "webgl2" => wgpu::Backends::GL,
        "webgpu" => wgpu::Backends::BROWSER_WEBGPU,
        _ => wgpu::Backends::BROWSER_WEBGPU | wgpu::Backends::GL,
    };
    let instance = wgpu::util::new_instance_with_webgpu_detection(desc).await;
    let (width, height) = (canvas.width().max(1), canvas.height().max(1));
    let surface = instance
        .create_surface(wgpu::SurfaceTarget::Canvas(canvas))
        .map_err(|e| {
            unavailable(
                "",
                format!("no WebGPU or WebGL2 context on this canvas: {e}"),
            )
        })?;
    let adapter = instance
        .request_adapter(&wgpu::RequestAdapterOptions {
            compatible_surface: Some(&surface),
            ..Default::default()
        })
        .await
        .map_err(|e| unavailable("", format!("no GPU adapter (WebGPU or WebGL2): {e}")))?;
    let info = adapter.get_info();
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some("flowscale"),
            required_limits: wgpu::Limits::downlevel_webgl2_defaults()
                .using_resolution(adapter.limits()),
            ..Default::default()
        })
        .await
        .map_err(|e| unavailable("", format!("no GPU device: {e}")))?;
    let lost = Arc::new(Mutex::new(None));
    let slot = lost.clone();
    device.set_device_lost_callback(move |reason, message| {
        if let Ok(mut l) = slot.lock() {
            *l = Some(format!("{reason:?}: {message}"));
        }
    });
    let caps = surface.get_capabilities(&adapter);
    // Colours are CSS (sRGB) values written as they are: prefer a non-sRGB format.
    let format = caps
        .formats
        .iter()
        .copied()
        .find(|f| !f.is_srgb())
        .or_else(|| caps.formats.first().copied())
        .ok_or_else(|| unavailable("", "the canvas offers no surface format"))?;
    let alpha_mode = if caps
        .alpha_modes
        .contains(&wgpu::CompositeAlphaMode::PreMultiplied)
    {
        wgpu::CompositeAlphaMode::PreMultiplied
    } else {
        caps.alpha_modes
            .first()
            .copied()
            .unwrap_or(wgpu::CompositeAlphaMode::Auto)
    };
    let config = wgpu::SurfaceConfiguration {
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
        format,
        color_space: Default::default(),
        width,
        height,
        present_mode: wgpu::PresentMode::AutoVsync,
        desired_maximum_frame_latency: 2,
        alpha_mode,
        view_formats: vec![],
    };
    surface.configure(&device, &config);
    Ok(Gpu {
        surface,
        config,
        layer: GpuLayer::new(device, queue, format),
        backend: format!("{:?} ({})", info.backend, info.name),
        lost,
    })
}

type Listener = Closure<dyn FnMut(web_sys::Event)>;

#[derive(Clone, Copy, PartialEq, Debug)]
enum State {
    Ready,
    /// The WebGL context was lost; drawing resumes once the browser restores it.
    Lost,
    Destroyed,
}

/// The GPU objects of one renderer on one canvas.
#[wasm_bindgen]
pub struct GpuCore {
    canvas: HtmlCanvasElement,
    gpu: Rc<RefCell<Option<Gpu>>>,
    state: Rc<Cell<State>>,
    /// Set when a restored context replaced the GPU objects: the scene must upload everything again.
    restored: Rc<Cell<bool>>,
    backend: String,
    draw_calls: u32,
    frames: u64,
    encode_ms: f64,
    listeners: Vec<(&'static str, Listener)>,
}

#[wasm_bindgen]
impl GpuCore {
    /// `await GpuCore.create(canvas, backend)`: 'auto', 'webgl2' or 'webgpu'.
    /// Rejects with GPU_UNAVAILABLE when the browser offers neither.
    pub fn create(canvas: HtmlCanvasElement, backend: String) -> js_sys::Promise {
        // A panic's message reaches the console before the trap does.
        console_error_panic_hook::set_once();
        wasm_bindgen_futures::future_to_promise(async move {
            let gpu = make_gpu(canvas.clone(), &backend).await?;
            let mut core = GpuCore {
                canvas,
                gpu: Rc::new(RefCell::new(Some(gpu))),
                state: Rc::new(Cell::new(State::Ready)),
                restored: Rc::new(Cell::new(false)),
                backend,
                draw_calls: 0,
                frames: 0,
                encode_ms: 0.0,
                listeners: Vec::new(),
            };
            core.watch_context();
            Ok(JsValue::from(core))
        })
    }

    /// Follow WebGL context loss: keep the page alive, rebuild when restored.
    fn watch_context(&mut self) {
        let state = self.state.clone();
        let lost = Listener::new(move |e: web_sys::Event| {
            e.prevent_default(); // allows the browser to restore the context
            if state.get() == State::Ready {
                state.set(State::Lost);
            }
        });
        let (state, gpu, canvas, backend, restored) = (
            self.state.clone(),
            self.gpu.clone(),
            self.canvas.clone(),
            self.backend.clone(),
            self.restored.clone(),
        );
        let on_restored = Listener::new(move |_e: web_sys::Event| {
            let (state, gpu, canvas, backend, restored) = (
                state.clone(),
                gpu.clone(),
                canvas.clone(),
                backend.clone(),
                restored.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                if state.get() == State::Destroyed {
                    return;
                }
                if let Ok(fresh) = make_gpu(canvas, &backend).await {
                    // destroy() may have run while the device was being made.
                    if state.get() == State::Destroyed {
                        return;
                    }
                    if let Ok(mut slot) = gpu.try_borrow_mut() {
                        *slot = Some(fresh);
                        restored.set(true);
                        state.set(State::Ready);
                    }
                }
            });
        });
        for (name, cb) in [
            ("webglcontextlost", lost),
            ("webglcontextrestored", on_restored),
        ] {
            let _ = self
                .canvas
                .add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
            self.listeners.push((name, cb));
        }
    }

    /// Why the current GPU device was lost, if it was.
    fn device_lost(&self) -> Option<String> {
        self.gpu.try_borrow().ok()?.as_ref()?.lost()
    }

    /// Ready to draw, or GPU_UNAVAILABLE saying why not.
    #[wasm_bindgen(js_name = checkReady)]
    pub fn check_ready(&self) -> Result<(), JsValue> {
        match self.state.get() {
            State::Ready => match self.device_lost() {
                None => Ok(()),
                Some(why) => Err(unavailable(
                    "renderer",
                    format!("the GPU device was lost ({why}); create a new Renderer"),
                )),
            },
            State::Lost => Err(unavailable(
                "renderer",
                "the WebGL context is lost; drawing resumes when the browser restores it",
            )),
            State::Destroyed => Err(unavailable("renderer", "this renderer was destroyed")),
        }
    }

    /// True once after a restored context replaced the GPU objects.
    #[wasm_bindgen(js_name = takeRestored)]
    pub fn take_restored(&self) -> bool {
        self.restored.replace(false)
    }

    fn with_gpu<T>(&self, f: impl FnOnce(&mut Gpu) -> Result<T, JsValue>) -> Result<T, JsValue> {
        let mut slot = self
            .gpu
            .try_borrow_mut()
            .map_err(|_| unavailable("renderer", "the renderer is busy"))?;
        let gpu = slot
            .as_mut()
            .ok_or_else(|| unavailable("renderer", "no GPU"))?;
        f(gpu)
    }

    /// Texels per row of the node texture and the most rows it may have.
    #[wasm_bindgen(js_name = textureShape)]
    pub fn texture_shape(&self) -> Result<Vec<u32>, JsValue> {
        self.with_gpu(|g| {
            let (w, rows) = g.layer.texture_shape();
            Ok(vec![w, rows])
        })
    }

    /// The drawing buffer's size in device pixels.
    #[wasm_bindgen(js_name = targetSize)]
    pub fn target_size(&self) -> Result<Vec<u32>, JsValue> {
        self.with_gpu(|g| Ok(vec![g.config.width, g.config.height]))
    }

    /// A node texture of `rows` rows (its content dropped: every texel follows).
    pub fn grow(&mut self, rows: u32) -> Result<(), JsValue> {
        self.with_gpu(|g| {
            let (_, max_rows) = g.layer.texture_shape();
            if rows == 0 || rows > max_rows {
                // wgpu's error handler would panic on such a texture.
                return Err(invalid(
                    "INVALID_ARGUMENT",
                    "rows",
                    format!("expected 1 to {max_rows} rows, got {rows}"),
                ));
            }
            g.layer.grow(rows);
            Ok(())
        })
    }

    /// Write texel runs (`[first, len, …]`) with their texels (four u32 each).
    #[wasm_bindgen(js_name = writeTexels)]
    pub fn write_texels(&mut self, runs: &[u32], texels: &[u32]) -> Result<(), JsValue> {
        self.with_gpu(|g| {
            let mut at = 0usize;
            for pair in runs.chunks_exact(2) {
                let run = TexelRun {
                    first: pair[0],
                    len: pair[1],
                };
                // A run outside the texture would be a wgpu validation error, which panics.
                let (width, _) = g.layer.texture_shape();
                let in_texture = run.len > 0
                    && (run.first % width)
                        .checked_add(run.len)
                        .is_some_and(|end| end <= width)
                    && run.first / width < g.layer.rows();
                if !in_texture {
                    return Err(invalid(
                        "INVALID_ARGUMENT",
                        "runs",
                        format!(
                            "texels {}+{} are not within one row of the node texture",
                            run.first, run.len
                        ),
                    ));
                }
                let data = (run.len as usize)
                    .checked_mul(4)
                    .and_then(|n| texels.get(at..at.checked_add(n)?))
                    .ok_or_else(|| {
                        invalid(
                            "INVALID_ARGUMENT",
                            "texels",
                            "fewer texels than the runs name",
                        )
                    })?;
                g.layer.write_texels(run, data);
                at += data.len();
            }
            Ok(())
        })
    }

    /// Upload the view uniform and the lists (bytes: nodes, edges, clusters,
    /// bundles) with their instance `counts`, laid out as the core's scene
    /// lays them out (a core and GPU module of different builds are refused).
    pub fn upload(&mut self, lists: js_sys::Array, counts: &[u32]) -> Result<(), JsValue> {
        let bytes: Vec<Vec<u8>> = lists
            .iter()
            .map(|a| js_sys::Uint8Array::new(&a).to_vec())
            .collect();
        let layout_ok = bytes.len() == 5
            && counts.len() == 4
            && bytes[0].len() == VIEW_BYTES
            && LIST_STRIDES
                .iter()
                .zip(counts)
                .zip(&bytes[1..])
                .all(|((stride, &count), b)| stride.checked_mul(count as usize) == Some(b.len()));
        if !layout_ok {
            return Err(invalid(
                "INVALID_ARGUMENT",
                "lists",
                "the scene's layout is not this GPU module's: load the core and the GPU module of one build",
            ));
        }
        self.with_gpu(|g| {
            g.layer.upload(
                &bytes[0],
                [
                    (&bytes[1][..], counts[0]),
                    (&bytes[2][..], counts[1]),
                    (&bytes[3][..], counts[2]),
                    (&bytes[4][..], counts[3]),
                ],
            );
            Ok(())
        })
    }

    /// Encode the uploaded frame into the canvas and present it, cleared to
    /// `clear` (premultiplied RGBA 0–1). False when the surface was outdated
    /// (it is reconfigured; draw the frame again).
    pub fn present(&mut self, clear: &[f64]) -> Result<bool, JsValue> {
        let clear = clear_color(clear)?;
        let started = now();
        let calls = self.with_gpu(|g| {
            let texture = match g.surface.get_current_texture() {
                wgpu::CurrentSurfaceTexture::Success(t)
                | wgpu::CurrentSurfaceTexture::Suboptimal(t) => t,
                _ => {
                    // Outdated or lost surface: reconfigure; the next frame draws.
                    g.surface.configure(g.layer.device(), &g.config);
                    return Ok(None);
                }
            };
            let view = texture
                .texture
                .create_view(&wgpu::TextureViewDescriptor::default());
            let calls = g.layer.encode(&view, clear);
            g.layer.queue().present(texture);
            Ok(Some(calls))
        })?;
        self.encode_ms = now() - started;
        match calls {
            Some(calls) => {
                self.draw_calls = calls;
                self.frames += 1;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Match the pane: `width` × `height` CSS pixels at `dpr`.
    pub fn resize(&mut self, width: f64, height: f64, dpr: f64) -> Result<(), JsValue> {
        self.check_ready()?;
        for (v, path) in [(width, "width"), (height, "height"), (dpr, "dpr")] {
            if !(v.is_finite() && v > 0.0) {
                return Err(invalid(
                    "INVALID_VIEWPORT",
                    path,
                    format!("must be a finite number above 0, got {v}"),
                ));
            }
        }
        let canvas = self.canvas.clone();
        self.with_gpu(|g| {
            let max = g.layer.device().limits().max_texture_dimension_2d;
            let w = ((width * dpr).round() as u32).clamp(1, max);
            let h = ((height * dpr).round() as u32).clamp(1, max);
            canvas.set_width(w);
            canvas.set_height(h);
            g.config.width = w;
            g.config.height = h;
            g.surface.configure(g.layer.device(), &g.config);
            Ok(())
        })
    }

    /// drawCalls, frames, encodeMs (of the last present), backend and lost.
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        let o = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&o, &JsValue::from_str(k), &v);
        set("backend", JsValue::from_str(&self.backend_name()))?;
        set("drawCalls", JsValue::from(self.draw_calls))?;
        set("frames", JsValue::from(self.frames as f64))?;
        set("encodeMs", JsValue::from(self.encode_ms))?;
        let lost = self.state.get() == State::Lost || self.device_lost().is_some();
        set("lost", JsValue::from(lost))?;
        Ok(o.into())
    }

    /// Draw the uploaded frame offscreen and resolve to its pixels (RGBA8,
    /// rows top first, canvas size).
    #[wasm_bindgen(js_name = readPixels)]
    pub fn read_pixels(&mut self, clear: &[f64]) -> Result<js_sys::Promise, JsValue> {
        self.check_ready()?;
        let clear = clear_color(clear)?;
        let target = self.with_gpu(|g| {
            let (w, h) = (g.config.width, g.config.height);
            // The pipelines were built for the canvas's format (BGRA8 on WebGPU): draw in it.
            let target = Offscreen::with_format(g.layer.device(), w, h, g.config.format)
                .map_err(|e| make_error(e.code.as_str(), &e.message, ""))?;
            let calls = g.layer.encode(&target.view(), clear);
            target.start_read(g.layer.device(), g.layer.queue());
            Ok((target, calls))
        })?;
        let (target, calls) = target;
        self.draw_calls = calls;
        self.frames += 1;
        let gpu = self.gpu.clone();
        let lost = move || gpu.try_borrow().ok()?.as_ref()?.lost();
        let lost_error = |why: String| unavailable("", format!("the GPU device was lost ({why})"));
        let poll = self.gpu.clone();
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            // WebGL maps on the next poll; WebGPU resolves from the event loop.
            for _ in 0..1000 {
                if let Ok(slot) = poll.try_borrow() {
                    if let Some(g) = slot.as_ref() {
                        let _ = g.layer.device().poll(wgpu::PollType::Poll);
                    }
                }
                match target.try_finish() {
                    Some(Ok(px)) => return Ok(js_sys::Uint8Array::from(&px[..]).into()),
                    Some(Err(e)) => {
                        // A mapping fails without saying why; a lost device is
                        // the usual cause, and the browser may report the loss
                        // some tasks after the failed mapping.
                        for _ in 0..100 {
                            if let Some(why) = lost() {
                                return Err(lost_error(why));
                            }
                            sleep_ms(1).await;
                        }
                        return Err(make_error(e.code.as_str(), &e.message, ""));
                    }
                    None => {}
                }
                if let Some(why) = lost() {
                    return Err(lost_error(why));
                }
                sleep_ms(1).await;
            }
            Err(unavailable("", "pixels did not arrive within a second"))
        }))
    }

    /// Release the GPU resources and listeners; later calls fail with GPU_UNAVAILABLE.
    pub fn destroy(&mut self) {
        self.state.set(State::Destroyed);
        if let Ok(mut slot) = self.gpu.try_borrow_mut() {
            *slot = None;
        }
        for (name, cb) in self.listeners.drain(..) {
            let _ = self
                .canvas
                .remove_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
        }
    }

    fn backend_name(&self) -> String {
        self.gpu
            .try_borrow()
            .ok()
            .and_then(|s| s.as_ref().map(|g| g.backend.clone()))
            .unwrap_or_else(|| "none".into())
    }

    /// Which backend draws: "BrowserWebGpu (…)" or "Gl (…)".
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend_name()
    }
}

fn clear_color(c: &[f64]) -> Result<[f64; 4], JsValue> {
    <[f64; 4]>::try_from(c)
        .map_err(|_| invalid("INVALID_ARGUMENT", "clear", "expected four numbers"))
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        if let Ok(set_timeout) = js_sys::Reflect::get(&global, &JsValue::from_str("setTimeout")) {
            if let Some(f) = set_timeout.dyn_ref::<js_sys::Function>() {
                let _ = f.call2(&global, &resolve, &JsValue::from(ms));
            }
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
