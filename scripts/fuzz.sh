#!/usr/bin/env bash
# Coverage-guided fuzzing of the core (cargo-fuzz / libFuzzer), each target
# for a bounded time: `bash scripts/fuzz.sh [seconds per target] [target...]`.
# Not part of `npm test` (it needs the nightly toolchain and minutes of CPU);
# tests/fuzz_mirror.rs runs the same harnesses as proptests in CI.
# The corpus, fuzz/corpus/<target>/, is committed (cargo test replays it,
# tests/fuzz_mirror.rs): each run starts from it, adds what it finds and is
# minimised back (`cargo fuzz cmin`) before it is committed again. Extra
# seeds that must not be committed — the real n8n workflows of
# ../shared/data, one file each — go to fuzz/seeds/ (ignored) and are read
# as a second corpus directory, never copied into fuzz/corpus by the run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
secs="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(set_workflow workflow_json changes frame clustering edges layout config)

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal

data=""
for d in "${FLOWSCALE_DATA_DIR:-}" ../shared/data /work/shared/data; do
  [ -n "$d" ] && [ -f "$d/n8n/workflows.jsonl" ] && { data="$d"; break; }
done
mkdir -p fuzz/seeds/workflow_json
if [ -n "$data" ] && [ -z "$(ls -A fuzz/seeds/workflow_json)" ]; then
  # One file per workflow in React Flow's { nodes, edges }; the largest ones would only slow each execution.
  node -e '
    const fs = require("fs");
    const lines = fs.readFileSync(process.argv[1], "utf8").split("\n").filter((l) => l.trim() && l.length < 20000);
    lines.forEach((l, i) => { const w = JSON.parse(l); fs.writeFileSync(`fuzz/seeds/workflow_json/n8n-${i}.json`, JSON.stringify({ nodes: w.nodes, edges: w.edges })); });
  ' "$data/n8n/workflows.jsonl"
fi

printf '| target | seconds | executions | exec/s | corpus | findings |\n|---|---|---|---|---|---|\n' > fuzz/summary.md
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  log="fuzz/artifacts/$t.log"
  status=0
  seeds=()
  [ -d "fuzz/seeds/$t" ] && seeds=("seeds/$t")
  # New inputs land in the first directory, corpus/<target>; the seeds are only read.
  (cd fuzz && cargo +nightly fuzz run "$t" "corpus/$t" "${seeds[@]}" -- -max_total_time="$secs" -print_final_stats=1 \
      -artifact_prefix="artifacts/$t/" -max_len=65536 >"../$log" 2>&1) || status=$?
  # Keep the committed corpus small: only inputs that add coverage.
  (cd fuzz && cargo +nightly fuzz cmin "$t" "corpus/$t" >>"../$log" 2>&1) || echo "fuzz: cmin of $t failed (see $log)"
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  corpus=$(ls "fuzz/corpus/$t" | wc -l)
  found=$(ls "fuzz/artifacts/$t" | wc -l)
  [ "$status" -eq 0 ] || echo "fuzz: $t stopped with status $status (see $log)"
  printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$secs" "$execs" "$rate" "$corpus" "$found" | tee -a fuzz/summary.md
done
echo "summary: fuzz/summary.md; crashes, if any: fuzz/artifacts/<target>/"
