#!/usr/bin/env bash
# Size of the wasm module, gzipped, with and without the GPU layer (and
# without the WebGPU backend), optimised as the package is (wasm-opt -O2).
# Prints a markdown table; `npm run bench` writes it into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
tmp=$(mktemp -d)
echo "| build | cargo features | wasm | gzipped |"
echo "| --- | --- | --- | --- |"
for spec in "per-frame core only|--no-default-features" "+ renderer, WebGL2 only|--no-default-features --features render" "+ renderer, WebGL2 and WebGPU (the package)|"; do
  label=${spec%%|*}; flags=${spec#*|}
  # shellcheck disable=SC2086
  cargo build --quiet --release --target wasm32-unknown-unknown $flags
  wasm-bindgen --target bundler --out-dir "$tmp/out" target/wasm32-unknown-unknown/release/flowscale.wasm
  wasm-opt -O2 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    --enable-reference-types --enable-multivalue "$tmp/out/flowscale_bg.wasm" -o "$tmp/opt.wasm"
  raw=$(stat -c %s "$tmp/opt.wasm"); gz=$(gzip -9 -c "$tmp/opt.wasm" | wc -c)
  printf '| %s | `%s` | %d KiB | %d KiB |\n' "$label" "${flags:-default}" $((raw / 1024)) $((gz / 1024))
done
rm -rf "$tmp"
