#!/usr/bin/env bash
# Size of the two wasm modules, gzipped, optimised as the package is
# (wasm-opt -O2): the core (what a page loads before its first render) and
# the GPU module (the renderer's wgpu half, fetched by the first
# Renderer.create), the latter also without the WebGPU backend; then what
# pkg/ actually ships (run `npm run build:pkg` first), by part.
# Prints markdown tables; `npm run bench` writes them into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
tmp=$(mktemp -d)
echo "| module | cargo build | wasm | gzipped |"
echo "| --- | --- | --- | --- |"
for spec in "core (\`flowscale\`)|flowscale|--no-default-features --features js" \
  "GPU module, WebGL2 only|flowscale_gpu|-p flowscale-gpu --no-default-features" \
  "GPU module, WebGL2 and WebGPU (the package)|flowscale_gpu|-p flowscale-gpu"; do
  label=${spec%%|*}; rest=${spec#*|}; name=${rest%%|*}; flags=${rest#*|}
  # shellcheck disable=SC2086
  cargo build --quiet --release --target wasm32-unknown-unknown $flags
  wasm-bindgen --target web --out-dir "$tmp/out" --out-name m "target/wasm32-unknown-unknown/release/$name.wasm"
  wasm-opt -O2 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    --enable-reference-types --enable-multivalue "$tmp/out/m_bg.wasm" -o "$tmp/opt.wasm"
  raw=$(stat -c %s "$tmp/opt.wasm"); gz=$(gzip -9 -c "$tmp/opt.wasm" | wc -c)
  printf '| %s | `%s` | %d KiB | %d KiB |\n' "$label" "$flags" $((raw / 1024)) $((gz / 1024))
done
rm -rf "$tmp"

[[ -d pkg ]] || exit 0
echo
echo "What pkg/ ships (the files a bundler or a page fetches; gzip -9):"
echo
echo "| part | files | bytes | gzipped |"
echo "| --- | --- | --- | --- |"
part() {
  local label=$1; shift
  local files=() raw=0 gz=0 f
  for f in "$@"; do [[ -f $f ]] && files+=("$f"); done
  ((${#files[@]})) || return 0
  for f in "${files[@]}"; do raw=$((raw + $(stat -c %s "$f"))); gz=$((gz + $(gzip -9 -c "$f" | wc -c))); done
  printf '| %s | %d | %d KiB | %d KiB |\n' "$label" "${#files[@]}" $((raw / 1024)) $((gz / 1024))
}
part "wasm, bundler build (\`flowscale\`)" pkg/flowscale_bg.wasm
part "wasm, web build (\`flowscale/web\`, webpack's condition)" pkg/web/flowscale_bg.wasm
part "wasm, GPU module (\`pkg/gpu/\`, fetched by the first Renderer.create)" pkg/gpu/flowscale_gpu_bg.wasm
mapfile -t bundler_js < <(find pkg -maxdepth 1 -name '*.js'; find pkg/snippets -name '*.js')
part "JavaScript, bundler build (entries + JS halves)" "${bundler_js[@]}"
mapfile -t web_js < <(find pkg/web -name '*.js')
part "JavaScript, web build" "${web_js[@]}"
mapfile -t gpu_js < <(find pkg/gpu -name '*.js')
part "JavaScript, GPU module" "${gpu_js[@]}"
if [[ -d pkg/react ]]; then
  mapfile -t react_js < <(find pkg/react -name '*.js')
  part "\`flowscale/react\`" "${react_js[@]}"
fi
