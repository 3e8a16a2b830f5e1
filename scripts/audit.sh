#!/usr/bin/env bash
# Known-vulnerability audit of the dependencies: RustSec (cargo audit) for
# Cargo.lock and fuzz/Cargo.lock, the npm advisories for package-lock.json.
# Both need their advisory sources (github.com/RustSec/advisory-db, the npm
# registry's audit endpoint); docs/reliability.md has the last result.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo-audit >/dev/null || cargo install cargo-audit --locked
status=0
cargo audit || status=1
cargo audit --file fuzz/Cargo.lock || status=1
npm audit --omit=dev || status=1
exit $status
