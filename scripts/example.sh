#!/usr/bin/env bash
# Serves examples/react-vite (Vite's dev server) on the package as a user
# installs it: pkg/ packed, the tarball installed into the example. Its
# package.json links ../../pkg instead (file:), which Vite would follow out of
# the app: the .wasm files outside its served folder, React found twice.
set -euo pipefail
cd "$(dirname "$0")/.."
packed=$(mktemp -d)
trap 'rm -rf "$packed"' EXIT
npm pack ./pkg --pack-destination "$packed" --silent >/dev/null
cd examples/react-vite
npm install --no-audit --no-fund
npm install --no-save --no-audit --no-fund "$packed"/flowscale-*.tgz
# Pre-bundled dependencies from an earlier package would be stale.
rm -rf node_modules/.vite
npm run dev
