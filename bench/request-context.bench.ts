// The request-context benchmark: what entering an AsyncLocalStorage context costs a request on
// this Node.js, the reason robusto gives every request one on Node.js 24 and only modules from
// ROBUSTO_MODULES one before. A "request" is 30 awaits and one turn of the event loop, 2,000 at a
// time; each round runs in a fresh process (on Node.js 20, once a context is entered its promise
// hooks stay for the process's life), without and with a context in turns. Prints the medians
// and the difference per request.
//
//   npm run bench:context   (BENCH_ROUNDS=9); with Node.js 20 on PATH to compare
import { fork } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const REQUESTS = 2_000;
const BATCHES = 10;
const WARM_UP_BATCHES = 5;

type Mode = 'without' | 'with';

async function request(): Promise<number> {
  let total = 0;
  for (let i = 0; i < 30; i++) total = await Promise.resolve(total + 1);
  await new Promise((resolve) => setImmediate(resolve));
  return total;
}

/** Microseconds per request of one batch of {@link REQUESTS} concurrent requests. */
async function batch(storage: AsyncLocalStorage<{ id: number }> | undefined): Promise<number> {
  const started = process.hrtime.bigint();
  const all: Array<Promise<number>> = [];
  for (let id = 0; id < REQUESTS; id++) all.push(storage ? storage.run({ id }, request) : request());
  await Promise.all(all);
  return Number(process.hrtime.bigint() - started) / 1_000 / REQUESTS;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** One round in this process: the median batch after the warm-up. */
async function round(mode: Mode): Promise<number> {
  const storage = mode === 'with' ? new AsyncLocalStorage<{ id: number }>() : undefined;
  for (let i = 0; i < WARM_UP_BATCHES; i++) await batch(storage);
  const times: number[] = [];
  for (let i = 0; i < BATCHES; i++) times.push(await batch(storage));
  return median(times);
}

function roundInChild(mode: Mode): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [mode]);
    child.once('message', (micros) => resolve(micros as number));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`round exited with ${code}`))));
  });
}

const asChild = process.argv[2] as Mode | undefined;
if (asChild) {
  process.send?.(await round(asChild), () => process.exit(0));
} else {
  const runs: Record<Mode, number[]> = { without: [], with: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const mode of i % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const)) runs[mode].push(await roundInChild(mode));
  }
  const without = median(runs.without);
  const withContext = median(runs.with);
  console.log(`Request context on Node.js ${process.version}: ${ROUNDS} alternating rounds, ${REQUESTS} requests of 30 awaits at a time (medians)`);
  console.log(`| without µs/request | with µs/request | cost µs/request |\n| --- | --- | --- |`);
  console.log(`| ${without.toFixed(2)} | ${withContext.toFixed(2)} | ${(withContext - without).toFixed(2)} |`);
}
