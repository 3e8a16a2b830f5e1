// `npm run bench`: every benchmark in turn, each rewriting its section of docs/benchmarks.md.
import { execFileSync } from 'node:child_process';

const run = (...args) => execFileSync(process.execPath, args, { stdio: 'inherit' });
run('--max-old-space-size=12000', new URL('./frame.mjs', import.meta.url).pathname);
run(new URL('./optimize.mjs', import.meta.url).pathname);
run(new URL('./cache.mjs', import.meta.url).pathname);
run(new URL('./pan.mjs', import.meta.url).pathname);
run(new URL('./fit.mjs', import.meta.url).pathname);
run(new URL('./edit.mjs', import.meta.url).pathname);
run(new URL('./size.mjs', import.meta.url).pathname);
run(new URL('./startup.mjs', import.meta.url).pathname);
run(new URL('./monitor.mjs', import.meta.url).pathname);
