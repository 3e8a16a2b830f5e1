//! `Renderer`: the GPU layer on a `<canvas>` under React Flow's pane. WebGPU
//! when the browser offers an adapter, WebGL2 otherwise; `GPU_UNAVAILABLE`
//! when neither works, so the page can fall back to DOM only.

use super::{get, invalid, now, to_js, JsWorkflowOptimizer};
use crate::error::{ErrorCode, FlowscaleError};
use crate::optimizer::WorkflowOptimizer;
use crate::render::offscreen::Offscreen;
use crate::render::{DrawMode, NodeStyle, Palette, RenderOptions, Renderer};
use serde::Deserialize;
use std::cell::{Cell, RefCell, RefMut};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

#[wasm_bindgen(typescript_custom_section)]
const TS_RENDER: &str = r#"
/** CSS colour: '#rgb', '#rrggbb' or '#rrggbbaa'. */
export type Color = string;
/** `glyph`: this type's band in cluster glyphs (default: its border when the type sets one, else a categorical colour). */
export interface NodeColors { fill?: Color; border?: Color; glyph?: Color; }
export interface RendererOptions {
  /** 'low' (default): what React does not mount. 'all': every node and edge in view. */
  draw?: 'low' | 'all';
  /** 'auto' (default): WebGPU when available, else WebGL2. */
  backend?: 'auto' | 'webgl2' | 'webgpu';
  palette?: { node?: NodeColors; types?: Record<string, NodeColors>; edge?: Color; edgeSelected?: Color; background?: Color };
}
export interface RendererStats {
  backend: string; drawCalls: number; nodes: number; edges: number; clusters: number;
  /** Bundles drawn between clusters (zoomed out). */
  bundles: number;
  /** Frames not drawn (nor presented) because the canvas already showed them. */
  framesSkipped: number;
  edgesSubpixel: number; texelsUploaded: number; encodeMs: number; frames: number; lost: boolean;
}
"#;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
struct OptionsJs {
    draw: Option<String>,
    backend: Option<String>,
    palette: Option<PaletteJs>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
struct PaletteJs {
    node: Option<NodeColorsJs>,
    types: HashMap<String, NodeColorsJs>,
    edge: Option<String>,
    edge_selected: Option<String>,
    background: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields, default)]
struct NodeColorsJs {
    fill: Option<String>,
    border: Option<String>,
    glyph: Option<String>,
}

/// '#rgb', '#rrggbb' or '#rrggbbaa' → RGBA8.
fn parse_color(s: &str, path: &str) -> Result<[u8; 4], FlowscaleError> {
    let bad = || {
        FlowscaleError::at(
            ErrorCode::InvalidConfig,
            path,
            format!("expected #rgb, #rrggbb or #rrggbbaa, got {s:?}"),
        )
    };
    let hex = s.strip_prefix('#').ok_or_else(bad)?;
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8).ok_or_else(bad);
    let b = hex.as_bytes();
    match b.len() {
        3 => Ok([digit(b[0])? * 17, digit(b[1])? * 17, digit(b[2])? * 17, 255]),
        6 | 8 => {
            let mut out = [255u8; 4];
            for (k, pair) in b.chunks(2).enumerate() {
                out[k] = digit(pair[0])? * 16 + digit(pair[1])?;
            }
            Ok(out)
        }
        _ => Err(bad()),
    }
}

fn node_style(base: NodeStyle, c: &NodeColorsJs, path: &str) -> Result<NodeStyle, FlowscaleError> {
    Ok(NodeStyle {
        fill: match &c.fill {
            Some(s) => parse_color(s, &format!("{path}.fill"))?,
            None => base.fill,
        },
        border: match &c.border {
            Some(s) => parse_color(s, &format!("{path}.border"))?,
            None => base.border,
        },
        glyph: match &c.glyph {
            Some(s) => Some(parse_color(s, &format!("{path}.glyph"))?),
            None => base.glyph,
        },
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Backend {
    Auto,
    WebGl2,
    WebGpu,
}

fn options_from_js(value: &JsValue) -> Result<(RenderOptions, Backend), FlowscaleError> {
    let parsed: OptionsJs = if value.is_undefined() || value.is_null() {
        OptionsJs::default()
    } else {
        let text = js_sys::JSON::stringify(value)
            .ok()
            .and_then(|t| t.as_string())
            .ok_or_else(|| {
                FlowscaleError::at(
                    ErrorCode::InvalidConfig,
                    "options",
                    "expected a plain object",
                )
            })?;
        let mut de = serde_json::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            FlowscaleError::at(
                ErrorCode::InvalidConfig,
                format!("options.{}", e.path()),
                e.inner().to_string(),
            )
        })?
    };
    let draw = match parsed.draw.as_deref() {
        None | Some("low") => DrawMode::Low,
        Some("all") => DrawMode::All,
        Some(other) => {
            return Err(FlowscaleError::at(
                ErrorCode::InvalidConfig,
                "options.draw",
                format!("expected 'low' or 'all', got {other:?}"),
            ))
        }
    };
    let backend = match parsed.backend.as_deref() {
        None | Some("auto") => Backend::Auto,
        Some("webgl2") => Backend::WebGl2,
        Some("webgpu") => Backend::WebGpu,
        Some(other) => {
            return Err(FlowscaleError::at(
                ErrorCode::InvalidConfig,
                "options.backend",
                format!("expected 'auto', 'webgl2' or 'webgpu', got {other:?}"),
            ))
        }
    };
    let mut palette = Palette::default();
    if let Some(p) = parsed.palette {
        if let Some(n) = &p.node {
            palette.node = node_style(palette.node, n, "options.palette.node")?;
        }
        for (ty, c) in &p.types {
            let base = palette.by_type.get(ty).copied().unwrap_or(palette.node);
            palette.by_type.insert(
                ty.clone(),
                node_style(base, c, &format!("options.palette.types.{ty}"))?,
            );
        }
        if let Some(c) = &p.edge {
            palette.edge = parse_color(c, "options.palette.edge")?;
        }
        if let Some(c) = &p.edge_selected {
            palette.edge_selected = parse_color(c, "options.palette.edgeSelected")?;
        }
        if let Some(c) = &p.background {
            palette.background = parse_color(c, "options.palette.background")?;
        }
    }
    Ok((RenderOptions { palette, draw }, backend))
}

struct Gpu {
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    renderer: Renderer,
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

fn gpu_error(msg: impl Into<String>) -> FlowscaleError {
    FlowscaleError::new(ErrorCode::GpuUnavailable, msg)
}

async fn make_gpu(
    canvas: HtmlCanvasElement,
    options: RenderOptions,
    backend: Backend,
) -> Result<Gpu, FlowscaleError> {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = match backend {
        Backend::Auto => wgpu::Backends::BROWSER_WEBGPU | wgpu::Backends::GL,
        Backend::WebGl2 => wgpu::Backends::GL,
        Backend::WebGpu => wgpu::Backends::BROWSER_WEBGPU,
    };
    let instance = wgpu::util::new_instance_with_webgpu_detection(desc).await;
    let (width, height) = (canvas.width().max(1), canvas.height().max(1));
    let surface = instance
        .create_surface(wgpu::SurfaceTarget::Canvas(canvas))
        .map_err(|e| gpu_error(format!("no WebGPU or WebGL2 context on this canvas: {e}")))?;
    let adapter = instance
        .request_adapter(&wgpu::RequestAdapterOptions {
            compatible_surface: Some(&surface),
            ..Default::default()
        })
        .await
        .map_err(|e| gpu_error(format!("no GPU adapter (WebGPU or WebGL2): {e}")))?;
    let info = adapter.get_info();
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some("flowscale"),
            required_limits: wgpu::Limits::downlevel_webgl2_defaults()
                .using_resolution(adapter.limits()),
            ..Default::default()
        })
        .await
        .map_err(|e| gpu_error(format!("no GPU device: {e}")))?;
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
        .ok_or_else(|| gpu_error("the canvas offers no surface format"))?;
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
    let renderer = Renderer::new(device, queue, format, options);
    Ok(Gpu {
        surface,
        config,
        renderer,
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

/// The GPU layer under React Flow's pane.
#[wasm_bindgen(js_name = Renderer)]
pub struct JsRenderer {
    core: Rc<RefCell<WorkflowOptimizer>>,
    canvas: HtmlCanvasElement,
    gpu: Rc<RefCell<Option<Gpu>>>,
    state: Rc<Cell<State>>,
    options: RenderOptions,
    backend: Backend,
    dpr: f64,
    /// Whether the canvas is hidden (the layer has nothing to draw); None
    /// until the first frame sets it either way.
    hidden: Cell<Option<bool>>,
    listeners: Vec<(&'static str, Listener)>,
}

#[wasm_bindgen(js_class = Renderer)]
impl JsRenderer {
    /// `await Renderer.create(canvas, optimizer, options?)`. Rejects with
    /// `GPU_UNAVAILABLE` when neither WebGPU nor WebGL2 can be used.
    #[wasm_bindgen(unchecked_return_type = "Promise<Renderer>")]
    pub fn create(
        #[wasm_bindgen(unchecked_param_type = "HTMLCanvasElement")] canvas: JsValue,
        optimizer: &JsWorkflowOptimizer,
        #[wasm_bindgen(unchecked_param_type = "RendererOptions | undefined")] options: JsValue,
    ) -> Result<js_sys::Promise, JsValue> {
        super::init_once();
        let canvas: HtmlCanvasElement = canvas.dyn_into().map_err(|_| {
            invalid(
                ErrorCode::InvalidConfig,
                "canvas",
                "expected an HTMLCanvasElement",
            )
        })?;
        if canvas.width() == 0 || canvas.height() == 0 {
            return Err(invalid(
                ErrorCode::InvalidViewport,
                "canvas",
                "the canvas has no pixels: set its width and height (or call resize) first",
            ));
        }
        let (options, backend) = options_from_js(&options).map_err(to_js)?;
        let core = optimizer.shared();
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let gpu = make_gpu(canvas.clone(), options.clone(), backend)
                .await
                .map_err(to_js)?;
            let mut r = JsRenderer {
                core,
                canvas,
                gpu: Rc::new(RefCell::new(Some(gpu))),
                state: Rc::new(Cell::new(State::Ready)),
                options,
                backend,
                dpr: 1.0,
                hidden: Cell::new(None),
                listeners: Vec::new(),
            };
            r.watch_context();
            Ok(JsValue::from(r))
        }))
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
        let (state, gpu, canvas, options, backend) = (
            self.state.clone(),
            self.gpu.clone(),
            self.canvas.clone(),
            self.options.clone(),
            self.backend,
        );
        let restored = Listener::new(move |_e: web_sys::Event| {
            let (state, gpu, canvas, options) =
                (state.clone(), gpu.clone(), canvas.clone(), options.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if state.get() == State::Destroyed {
                    return;
                }
                if let Ok(mut fresh) = make_gpu(canvas, options, backend).await {
                    fresh.renderer.invalidate();
                    if let Ok(mut slot) = gpu.try_borrow_mut() {
                        *slot = Some(fresh);
                        state.set(State::Ready);
                    }
                }
            });
        });
        for (name, cb) in [
            ("webglcontextlost", lost),
            ("webglcontextrestored", restored),
        ] {
            let _ = self
                .canvas
                .add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
            self.listeners.push((name, cb));
        }
    }

    /// The shared optimizer and the GPU state, or an error if either is in use.
    fn borrow(&self) -> Result<(RefMut<'_, WorkflowOptimizer>, RefMut<'_, Option<Gpu>>), JsValue> {
        let core = self.core.try_borrow_mut().map_err(|_| {
            invalid(
                ErrorCode::InvalidWorkflow,
                "optimizer",
                "the optimizer is busy",
            )
        })?;
        let gpu = self.gpu.try_borrow_mut().map_err(|_| {
            invalid(
                ErrorCode::GpuUnavailable,
                "renderer",
                "the renderer is busy",
            )
        })?;
        Ok((core, gpu))
    }

    /// Why the current GPU device was lost, if it was.
    fn device_lost(&self) -> Option<String> {
        self.gpu.try_borrow().ok()?.as_ref()?.lost()
    }

    fn check_ready(&self) -> Result<(), JsValue> {
        match self.state.get() {
            State::Ready => match self.device_lost() {
                None => Ok(()),
                Some(why) => Err(invalid(
                    ErrorCode::GpuUnavailable,
                    "renderer",
                    format!("the GPU device was lost ({why}); create a new Renderer"),
                )),
            },
            State::Lost => Err(invalid(
                ErrorCode::GpuUnavailable,
                "renderer",
                "the WebGL context is lost; drawing resumes when the browser restores it",
            )),
            State::Destroyed => Err(invalid(
                ErrorCode::GpuUnavailable,
                "renderer",
                "this renderer was destroyed",
            )),
        }
    }

    /// Draw `frame`: the frame this renderer's optimizer returned last (the
    /// GPU lists live in the optimizer, so an older frame cannot be drawn and
    /// is STALE_FRAME). Without an argument, the latest frame.
    pub fn render(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Frame | undefined")] frame: JsValue,
    ) -> Result<(), JsValue> {
        self.check_ready()?;
        if !self.canvas.is_connected() {
            return Err(invalid(
                ErrorCode::GpuUnavailable,
                "canvas",
                "the canvas is no longer in the document",
            ));
        }
        let (mut core, mut slot) = self.borrow()?;
        if !frame.is_undefined() && !frame.is_null() {
            let Some(seq) = get(&frame, "seq").as_f64() else {
                return Err(invalid(
                    ErrorCode::InvalidArgument,
                    "frame",
                    "frame must be a frame that optimizer.frame() returned",
                ));
            };
            if seq != core.last_frame().seq as f64 {
                return Err(invalid(
                    ErrorCode::StaleFrame,
                    "frame",
                    "a newer frame was computed since: render the frame optimizer.frame() returned last",
                ));
            }
        }
        let gpu = slot
            .as_mut()
            .ok_or_else(|| invalid(ErrorCode::GpuUnavailable, "renderer", "no GPU"))?;
        let started = now();
        let size = (gpu.config.width, gpu.config.height);
        let needed = gpu
            .renderer
            .prepare(&mut core, size, self.dpr)
            .map_err(to_js)?;
        // An empty layer is hidden, so the compositor has no canvas to blend.
        let empty = gpu.renderer.is_empty();
        if self.hidden.get() != Some(empty) {
            self.hidden.set(Some(empty));
            let _ = self
                .canvas
                .style()
                .set_property("visibility", if empty { "hidden" } else { "" });
        }
        if !needed || empty {
            return Ok(()); // the canvas already shows this frame, or shows nothing
        }
        let texture = match gpu.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t)
            | wgpu::CurrentSurfaceTexture::Suboptimal(t) => t,
            _ => {
                // Outdated or lost surface: reconfigure and draw on the next frame.
                gpu.surface.configure(gpu.renderer.device(), &gpu.config);
                gpu.renderer.force_redraw();
                return Ok(());
            }
        };
        let view = texture
            .texture
            .create_view(&wgpu::TextureViewDescriptor::default());
        gpu.renderer.encode(&view);
        gpu.renderer.queue().present(texture);
        gpu.renderer.stats_mut().encode_ms = now() - started;
        Ok(())
    }

    /// Match the pane: `width` × `height` CSS pixels at `devicePixelRatio`.
    /// Sets the canvas's drawing buffer to the device-pixel size.
    pub fn resize(&mut self, width: f64, height: f64, dpr: f64) -> Result<(), JsValue> {
        self.check_ready()?;
        for (v, path) in [(width, "width"), (height, "height"), (dpr, "dpr")] {
            if !(v.is_finite() && v > 0.0) {
                return Err(invalid(
                    ErrorCode::InvalidViewport,
                    path,
                    format!("must be a finite number above 0, got {v}"),
                ));
            }
        }
        let mut slot = self.gpu.try_borrow_mut().map_err(|_| {
            invalid(
                ErrorCode::GpuUnavailable,
                "renderer",
                "the renderer is busy",
            )
        })?;
        let gpu = slot
            .as_mut()
            .ok_or_else(|| invalid(ErrorCode::GpuUnavailable, "renderer", "no GPU"))?;
        let max = gpu.renderer.device().limits().max_texture_dimension_2d;
        let w = ((width * dpr).round() as u32).clamp(1, max);
        let h = ((height * dpr).round() as u32).clamp(1, max);
        self.canvas.set_width(w);
        self.canvas.set_height(h);
        self.dpr = dpr;
        gpu.config.width = w;
        gpu.config.height = h;
        gpu.surface.configure(gpu.renderer.device(), &gpu.config);
        gpu.renderer.force_redraw();
        Ok(())
    }

    /// Draw calls, instances per batch, uploads and CPU encode time of the last frame.
    #[wasm_bindgen(unchecked_return_type = "RendererStats")]
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        let slot = self.gpu.try_borrow().map_err(|_| {
            invalid(
                ErrorCode::GpuUnavailable,
                "renderer",
                "the renderer is busy",
            )
        })?;
        let (s, backend) = match slot.as_ref() {
            Some(g) => (g.renderer.stats(), g.backend.clone()),
            None => (Default::default(), "none".to_string()),
        };
        let json = serde_json::json!({
            "backend": backend,
            "drawCalls": s.draw_calls,
            "nodes": s.nodes,
            "edges": s.edges,
            "clusters": s.clusters,
            "bundles": s.bundles,
            "framesSkipped": s.frames_skipped,
            "edgesSubpixel": s.edges_subpixel,
            "texelsUploaded": s.texels_uploaded,
            "encodeMs": s.encode_ms,
            "frames": s.frames,
            "lost": self.state.get() == State::Lost || self.device_lost().is_some(),
        });
        js_sys::JSON::parse(&json.to_string())
            .map_err(|_| invalid(ErrorCode::GpuUnavailable, "", "internal: stats"))
    }

    /// Render the latest frame offscreen and resolve to its pixels (RGBA8,
    /// rows top first, canvas size) — for tests and screenshots.
    #[wasm_bindgen(js_name = readPixels, unchecked_return_type = "Promise<Uint8Array>")]
    pub fn read_pixels(&mut self) -> Result<js_sys::Promise, JsValue> {
        self.check_ready()?;
        let target = {
            let (mut core, mut slot) = self.borrow()?;
            let gpu = slot
                .as_mut()
                .ok_or_else(|| invalid(ErrorCode::GpuUnavailable, "renderer", "no GPU"))?;
            let size = (gpu.config.width, gpu.config.height);
            // The pipelines were built for the canvas's format (BGRA8 on WebGPU): draw in it.
            let target =
                Offscreen::with_format(gpu.renderer.device(), size.0, size.1, gpu.config.format)
                    .map_err(to_js)?;
            gpu.renderer
                .draw(&mut core, &target.view(), size, self.dpr, &now)
                .map_err(to_js)?;
            target.start_read(gpu.renderer.device(), gpu.renderer.queue());
            target
        };
        let gpu = self.gpu.clone();
        let lost = move || gpu.try_borrow().ok()?.as_ref()?.lost();
        let lost_error = |why: String| to_js(gpu_error(format!("the GPU device was lost ({why})")));
        let poll = self.gpu.clone();
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            // WebGL maps on the next poll; WebGPU resolves from the event loop.
            for _ in 0..1000 {
                if let Ok(slot) = poll.try_borrow() {
                    if let Some(g) = slot.as_ref() {
                        let _ = g.renderer.device().poll(wgpu::PollType::Poll);
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
                        return Err(to_js(e));
                    }
                    None => {}
                }
                if let Some(why) = lost() {
                    return Err(lost_error(why));
                }
                sleep_ms(1).await;
            }
            Err(to_js(gpu_error("pixels did not arrive within a second")))
        }))
    }

    /// Release the GPU resources and listeners; later calls throw GPU_UNAVAILABLE.
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

    /// Which backend draws: "BrowserWebGpu (…)" or "Gl (…)".
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.gpu
            .try_borrow()
            .ok()
            .and_then(|s| s.as_ref().map(|g| g.backend.clone()))
            .unwrap_or_else(|| "none".into())
    }
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

#[cfg(test)]
mod tests {
    use super::parse_color;

    #[test]
    fn colors() {
        assert_eq!(parse_color("#fff", "c").unwrap(), [255, 255, 255, 255]);
        assert_eq!(
            parse_color("#1a192b", "c").unwrap(),
            [0x1a, 0x19, 0x2b, 255]
        );
        assert_eq!(parse_color("#00000080", "c").unwrap(), [0, 0, 0, 0x80]);
        assert!(parse_color("red", "c").is_err());
        assert!(parse_color("#12", "c").is_err());
        assert!(parse_color("#gggggg", "c").is_err());
    }
}
