//! `SceneCore`: what the GPU layer draws for one renderer, built here beside
//! the optimizer and handed out as typed arrays. The JS `Renderer`
//! (renderer.js) passes them to the GPU module (wgpu, loaded when a renderer
//! is first created), so a page pays for wgpu only once it draws.

use super::{get, invalid, now, to_js, JsWorkflowOptimizer};
use crate::error::{ErrorCode, FlowscaleError};
use crate::optimizer::WorkflowOptimizer;
use crate::render::{DrawMode, NodeStyle, Palette, RenderOptions, Scene};
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

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

#[derive(Clone, Copy, PartialEq, Debug)]
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

impl Backend {
    fn as_str(self) -> &'static str {
        match self {
            Backend::Auto => "auto",
            Backend::WebGl2 => "webgl2",
            Backend::WebGpu => "webgpu",
        }
    }
}

/// The renderer's half in this module: its scene over the shared optimizer.
#[wasm_bindgen(js_name = SceneCore)]
pub struct JsSceneCore {
    core: Rc<RefCell<WorkflowOptimizer>>,
    scene: Option<Scene>,
    options: RenderOptions,
    backend: Backend,
}

#[wasm_bindgen(js_class = SceneCore)]
impl JsSceneCore {
    /// Checks `options` (INVALID_CONFIG with the field's path) before any GPU work.
    #[wasm_bindgen(constructor)]
    pub fn new(optimizer: &JsWorkflowOptimizer, options: JsValue) -> Result<JsSceneCore, JsValue> {
        let (options, backend) = options_from_js(&options).map_err(to_js)?;
        Ok(JsSceneCore {
            core: optimizer.shared(),
            scene: None,
            options,
            backend,
        })
    }

    /// 'auto', 'webgl2' or 'webgpu', as the options asked.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.as_str().to_string()
    }

    /// Size the node texture as the GPU allows (texels per row, most rows); once, before `prepare`.
    #[wasm_bindgen(js_name = setTextureShape)]
    pub fn set_texture_shape(&mut self, tex_width: u32, max_rows: u32) -> Result<(), JsValue> {
        if tex_width < 2 || tex_width % 2 != 0 || max_rows == 0 {
            return Err(invalid(
                ErrorCode::GpuUnavailable,
                "renderer",
                format!("unusable node texture shape {tex_width} × {max_rows}"),
            ));
        }
        self.scene = Some(Scene::new(self.options.clone(), tex_width, max_rows));
        Ok(())
    }

    fn scene(&mut self) -> Result<&mut Scene, JsValue> {
        self.scene
            .as_mut()
            .ok_or_else(|| invalid(ErrorCode::GpuUnavailable, "renderer", "no GPU yet"))
    }

    /// Build `frame`'s scene (the frame the optimizer returned last: an older
    /// one is STALE_FRAME; undefined: the latest) for a `width` × `height`
    /// device-pixel target. False when the target shows it already.
    pub fn prepare(
        &mut self,
        frame: JsValue,
        width: u32,
        height: u32,
        dpr: f64,
    ) -> Result<bool, JsValue> {
        let core = self.core.clone();
        let mut core = core.try_borrow_mut().map_err(|_| {
            invalid(
                ErrorCode::InvalidWorkflow,
                "optimizer",
                "the optimizer is busy",
            )
        })?;
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
        let started = now();
        let needed = self
            .scene()?
            .prepare(&mut core, (width, height), dpr)
            .map_err(to_js)?;
        self.scene()?.stats_mut().encode_ms = now() - started;
        Ok(needed)
    }

    /// Rows to reallocate the node texture with before writing texels, if it must grow.
    #[wasm_bindgen(js_name = takeGrow)]
    pub fn take_grow(&mut self) -> Result<Option<u32>, JsValue> {
        Ok(self.scene()?.take_grow())
    }

    /// Whether texels wait to go up.
    #[wasm_bindgen(js_name = hasTexels)]
    pub fn has_texels(&self) -> bool {
        self.scene.as_ref().is_some_and(Scene::has_texels)
    }

    /// The oldest waiting texel writes, about `max_texels` at most (at least
    /// one run): `[first, len, first, len, …]` and the texels (four u32 each),
    /// in order. Call until `hasTexels()` is false: a whole workflow goes up
    /// in such batches, never all in one buffer.
    #[wasm_bindgen(js_name = takeTexels, unchecked_return_type = "[Uint32Array, Uint32Array]")]
    pub fn take_texels(&mut self, max_texels: u32) -> Result<js_sys::Array, JsValue> {
        let core = self.core.clone();
        let core = core.try_borrow().map_err(|_| {
            invalid(
                ErrorCode::InvalidWorkflow,
                "optimizer",
                "the optimizer is busy",
            )
        })?;
        let scene = self.scene()?;
        let (mut runs, mut texels) = (Vec::new(), Vec::new());
        scene.take_texels(core.workflow(), max_texels as usize, &mut runs, &mut texels);
        let flat: Vec<u32> = runs.iter().flat_map(|r| [r.first, r.len]).collect();
        Ok(js_sys::Array::of2(
            &js_sys::Uint32Array::from(&flat[..]),
            &js_sys::Uint32Array::from(&texels[..]),
        ))
    }

    /// The view uniform and the lists of nodes, edges, clusters and bundles, as bytes.
    #[wasm_bindgen(
        unchecked_return_type = "[Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array]"
    )]
    pub fn lists(&mut self) -> Result<js_sys::Array, JsValue> {
        let scene = self.scene()?;
        let out = js_sys::Array::new();
        out.push(&js_sys::Uint8Array::from(scene.view_bytes()));
        for (bytes, _) in [
            scene.node_list(),
            scene.edge_list(),
            scene.cluster_list(),
            scene.bundle_list(),
        ] {
            out.push(&js_sys::Uint8Array::from(bytes));
        }
        Ok(out)
    }

    /// Instances in the lists: nodes, edges, clusters, bundles.
    #[wasm_bindgen(unchecked_return_type = "[number, number, number, number]")]
    pub fn counts(&mut self) -> Result<Vec<u32>, JsValue> {
        let scene = self.scene()?;
        Ok(vec![
            scene.node_list().1,
            scene.edge_list().1,
            scene.cluster_list().1,
            scene.bundle_list().1,
        ])
    }

    /// Background, premultiplied RGBA 0–1.
    #[wasm_bindgen(js_name = clearColor)]
    pub fn clear_color(&self) -> Vec<f64> {
        self.options.clear_color().to_vec()
    }

    #[wasm_bindgen(js_name = isEmpty)]
    pub fn is_empty(&self) -> bool {
        self.scene.as_ref().map_or(true, Scene::is_empty)
    }

    /// After a lost context: every texel again on the next frame.
    pub fn invalidate(&mut self) {
        if let Some(s) = self.scene.as_mut() {
            s.invalidate();
        }
    }

    /// The target was cleared (a resize): draw the next frame even if unchanged.
    #[wasm_bindgen(js_name = forceRedraw)]
    pub fn force_redraw(&mut self) {
        if let Some(s) = self.scene.as_mut() {
            s.force_redraw();
        }
    }

    /// The scene's part of RendererStats (the GPU module adds drawCalls, frames, backend, lost).
    #[wasm_bindgen(unchecked_return_type = "Partial<RendererStats>")]
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        let s = self.scene.as_ref().map(Scene::stats).unwrap_or_default();
        let json = serde_json::json!({
            "nodes": s.nodes,
            "edges": s.edges,
            "clusters": s.clusters,
            "bundles": s.bundles,
            "framesSkipped": s.frames_skipped,
            "edgesSubpixel": s.edges_subpixel,
            "texelsUploaded": s.texels_uploaded,
            "encodeMs": s.encode_ms,
        });
        js_sys::JSON::parse(&json.to_string())
            .map_err(|_| invalid(ErrorCode::GpuUnavailable, "", "internal: stats"))
    }
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
