#!/usr/bin/env bash
# GPU frame times of the native renderer (Vulkan) on a machine with a GPU.
# Prepare here (once): the Vulkan/GL loader .debs in .gl/ (Debian's libvulkan1,
# libegl1 and their dependencies, fetched with apt-get download) and the release binary:
#   cargo build --release --example gpu_bench && cp target/release/examples/gpu_bench .gl/
# Then run this script there with .gl carried; it prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
if [[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
export WGPU_BACKEND=vulkan
nvidia-smi -L 2>/dev/null || true
sizes=("$@")
((${#sizes[@]})) || sizes=(100000 1000000 4000000)
./.gl/gpu_bench "${sizes[@]}"
