#!/usr/bin/env bash
# Every test, in order of speed. Run by `npm test` after scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
step() { printf '\n\033[1m[test]\033[0m %s\n' "$*"; }

step "structure and lints (browser APIs only in src/web/ and gpu/, no module cycles; cargo fmt; clippy -D warnings for native and wasm32, the core without the renderer too)"
node scripts/check-structure.mjs
cargo fmt --all --check
cargo clippy --all-targets --quiet -- -D warnings
cargo clippy --no-default-features --features js --lib --quiet -- -D warnings
cargo clippy --target wasm32-unknown-unknown --lib --tests --quiet -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p flowscale-gpu --quiet -- -D warnings

step "native: cargo test (GPU tests on Mesa's lavapipe when there is no GPU)"
cargo test --quiet

step "browser: wasm-bindgen tests in headless Chromium (API, errors, cache)"
CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown --test web --test web_cache

step "package: wasm-pack build of pkg/ (the core), and the GPU module in pkg/gpu/"
node scripts/build-pkg.mjs

step "JS API, React Flow parity, the cache's memory tier, monitor/profiler/PerformanceManager (Node)"
node --test tests/js/

step "TypeScript (strict): the demo, the cache and monitor types; the demo build"
tsc --noEmit -p www/tsconfig.json
tsc -p tests/types
webpack --config webpack.config.js --mode production --no-stats
webpack --config tests/e2e/react-app/webpack.config.mjs --no-stats

step "end to end: the demo (its GPU layer on WebGL2 and on WebGPU), the cache with real IndexedDB (and crash durability: SIGKILLed Chromium on a real profile), the monitor on a real page (long tasks, FPS, alerts), in headless Chromium (Playwright)"
node --test --test-timeout=180000 tests/e2e/

step "all tests passed"
