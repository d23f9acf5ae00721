// `npm run bench` runs every benchmark; `npm run bench -- acs` runs the named ones. Targets are
// informational: a MISS is printed, never turned into a failing exit code, because machines are
// noisy; only a crash (or a benchmark that could not measure what it claims to) exits non-zero.
import { availableParallelism, cpus } from 'node:os';
import * as acs from './acs.js';
import * as approvalFlood from './approvalFlood.js';
import * as inflight from './inflight.js';
import * as migrationList from './migrationList.js';
import * as rollout from './rollout.js';
import { cleanUpAll } from './support/cleanup.js';
import { type Benchmark, formatResult, verdict } from './support/result.js';

const benchmarks: Benchmark[] = [acs, approvalFlood, migrationList, rollout, inflight];

function selected(args: string[]): Benchmark[] {
  if (args.length === 0) return benchmarks;
  const unknown = args.filter((arg) => !benchmarks.some((b) => b.name === arg));
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`);
  }
  return benchmarks.filter((b) => args.includes(b.name));
}

async function main() {
  const chosen = selected(process.argv.slice(2));
  console.log(
    `# Benchmarks (${new Date().toISOString()}, node ${process.version}, ${availableParallelism()} × ${cpus()[0]?.model ?? 'unknown CPU'})\n`,
  );
  for (const benchmark of chosen) {
    const result = await benchmark.run();
    console.log(formatResult(result));
    const missed = result.targets.filter((t) => verdict(t) === 'MISS').length;
    console.log(`${benchmark.name}: ${result.targets.length - missed} of ${result.targets.length} targets met\n`);
  }
}

// Ctrl-C stops the API processes and drops the database the interrupted benchmark made.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    void cleanUpAll().finally(() => process.exit(code));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
