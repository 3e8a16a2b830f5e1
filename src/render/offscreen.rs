//! Rendering into a texture and reading the pixels back: the tests' oracle
//! (pixels read back from the GPU) and the native benchmark's target.

use crate::error::{ErrorCode, FlowscaleError, Result};
use std::sync::{Arc, Mutex};

/// The readback format: straight RGBA8, no sRGB conversion (CSS colours are sRGB values).
pub const FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

pub struct Offscreen {
    texture: wgpu::Texture,
    /// RGBA8 or BGRA8 (a canvas on WebGPU draws BGRA8): read back as RGBA8 either way.
    bgra: bool,
    buffer: wgpu::Buffer,
    width: u32,
    height: u32,
    padded_row: u32,
    mapped: Arc<Mutex<Option<std::result::Result<(), wgpu::BufferAsyncError>>>>,
}

impl Offscreen {
    pub fn new(device: &wgpu::Device, width: u32, height: u32) -> Result<Offscreen> {
        Self::with_format(device, width, height, FORMAT)
    }

    /// A target in the format the renderer's pipelines were built for (its
    /// canvas's format): `Rgba8Unorm` or `Bgra8Unorm`.
    pub fn with_format(
        device: &wgpu::Device,
        width: u32,
        height: u32,
        format: wgpu::TextureFormat,
    ) -> Result<Offscreen> {
        let bgra = match format {
            wgpu::TextureFormat::Rgba8Unorm => false,
            wgpu::TextureFormat::Bgra8Unorm => true,
            other => {
                return Err(FlowscaleError::new(
                    ErrorCode::GpuUnavailable,
                    format!("pixels cannot be read back from a {other:?} target"),
                ))
            }
        };
        let max = device.limits().max_texture_dimension_2d;
        if width == 0 || height == 0 || width > max || height > max {
            return Err(FlowscaleError::new(
                ErrorCode::InvalidViewport,
                format!("render target {width}×{height} must be between 1 and {max} pixels a side"),
            ));
        }
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("flowscale offscreen"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let padded_row = (width * 4).div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT)
            * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("flowscale readback"),
            size: padded_row as u64 * height as u64,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(Offscreen {
            texture,
            bgra,
            buffer,
            width,
            height,
            padded_row,
            mapped: Arc::new(Mutex::new(None)),
        })
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    pub fn view(&self) -> wgpu::TextureView {
        self.texture
            .create_view(&wgpu::TextureViewDescriptor::default())
    }

    /// Copy the rendered texture to the readback buffer and start mapping it.
    pub fn start_read(&self, device: &wgpu::Device, queue: &wgpu::Queue) {
        let mut enc = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("flowscale readback"),
        });
        enc.copy_texture_to_buffer(
            self.texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &self.buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(self.padded_row),
                    rows_per_image: Some(self.height),
                },
            },
            wgpu::Extent3d {
                width: self.width,
                height: self.height,
                depth_or_array_layers: 1,
            },
        );
        queue.submit([enc.finish()]);
        if let Ok(mut m) = self.mapped.lock() {
            *m = None;
        }
        let mapped = self.mapped.clone();
        self.buffer
            .slice(..)
            .map_async(wgpu::MapMode::Read, move |r| {
                if let Ok(mut m) = mapped.lock() {
                    *m = Some(r);
                }
            });
    }

    /// The pixels (tight RGBA8 rows, top first) once mapping finished; None while pending.
    pub fn try_finish(&self) -> Option<Result<Vec<u8>>> {
        let state = self.mapped.lock().ok()?.take()?;
        if let Err(e) = state {
            return Some(Err(FlowscaleError::new(
                ErrorCode::GpuUnavailable,
                format!("reading pixels back failed: {e}"),
            )));
        }
        let out = {
            let data = match self.buffer.slice(..).get_mapped_range() {
                Ok(d) => d,
                Err(e) => {
                    return Some(Err(FlowscaleError::new(
                        ErrorCode::GpuUnavailable,
                        format!("reading pixels back failed: {e}"),
                    )))
                }
            };
            let mut out = Vec::with_capacity((self.width * self.height * 4) as usize);
            for row in data
                .chunks(self.padded_row as usize)
                .take(self.height as usize)
            {
                out.extend_from_slice(&row[..(self.width * 4) as usize]);
            }
            if self.bgra {
                for px in out.chunks_exact_mut(4) {
                    px.swap(0, 2);
                }
            }
            out
        };
        self.buffer.unmap();
        Some(Ok(out))
    }

    /// Native: read back synchronously.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read(&self, device: &wgpu::Device, queue: &wgpu::Queue) -> Result<Vec<u8>> {
        self.start_read(device, queue);
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| {
                FlowscaleError::new(ErrorCode::GpuUnavailable, format!("GPU wait failed: {e}"))
            })?;
        // With the device shared between threads (tests), another thread's
        // poll may be the one running this buffer's callback: wait for it.
        for _ in 0..2000 {
            if let Some(done) = self.try_finish() {
                return done;
            }
            let _ = device.poll(wgpu::PollType::Poll);
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        Err(FlowscaleError::new(
            ErrorCode::GpuUnavailable,
            "pixels never arrived",
        ))
    }
}

/// Native: a device on the first adapter wgpu finds (a real GPU, or Mesa's
/// lavapipe / llvmpipe), with its description.
#[cfg(not(target_arch = "wasm32"))]
pub fn native_device() -> Result<(wgpu::Device, wgpu::Queue, String)> {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    if std::env::var_os("WGPU_BACKEND").is_none() {
        desc.backends = wgpu::Backends::VULKAN | wgpu::Backends::GL;
    }
    let instance = wgpu::Instance::new(desc);
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        ..Default::default()
    }))
    .map_err(|e| FlowscaleError::new(ErrorCode::GpuUnavailable, format!("no GPU adapter: {e}")))?;
    let info = adapter.get_info();
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("flowscale"),
        required_limits:
            wgpu::Limits::downlevel_webgl2_defaults().using_resolution(adapter.limits()),
        ..Default::default()
    }))
    .map_err(|e| FlowscaleError::new(ErrorCode::GpuUnavailable, format!("no GPU device: {e}")))?;
    Ok((
        device,
        queue,
        format!("{} ({:?}, {})", info.name, info.backend, info.driver),
    ))
}
