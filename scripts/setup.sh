#!/usr/bin/env bash
# Idempotent set-up for a fresh machine (root, Debian 12, Rust via rustup,
# Node 20). Installs only what is missing:
#   always:     the wasm32 target, wasm-bindgen-cli (the version in Cargo.lock),
#               wasm-pack, npm dependencies (incl. binaryen's wasm-opt)
#   --browser:  Chromium + ChromeDriver from apt (for the browser tests) and
#               Mesa's Vulkan driver (lavapipe: the native GPU tests without a GPU)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) browser=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

step() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# Cargo.lock pins wasm-bindgen; the CLI must be that exact version.
[[ -f Cargo.lock ]] || cargo generate-lockfile
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [[ "$have" != "$want" ]]; then
  step "installing wasm-bindgen-cli $want (about 3 minutes)"
  # Not --locked: the registry mirror lacks one crate its lockfile pins.
  cargo install wasm-bindgen-cli --version "$want" --force
fi

if ! command -v wasm-pack >/dev/null; then
  step "installing wasm-pack (about 2 minutes)"
  cargo install wasm-pack --locked
fi

# npm dependencies: install when node_modules is missing or older than the lockfile.
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  step "installing npm dependencies"
  npm ci --no-audit --no-fund
fi

if ((browser)); then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  [[ -f /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ]] || missing+=(mesa-vulkan-drivers)
  [[ -e /usr/lib/x86_64-linux-gnu/libvulkan.so.1 ]] || missing+=(libvulkan1)
  if ((${#missing[@]})); then
    step "installing ${missing[*]} from apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
step "ready"
