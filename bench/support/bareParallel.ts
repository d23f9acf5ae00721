// What the machine gives node-saml on two cores at once: the bare baseline in one process per core,
// started together. The two-worker target is read against it: where bare validation itself
// cannot reach 1.5× its single-core rate on both cores, no ACS built on it can.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { SAML } from '@node-saml/node-saml';
import type { BareResult } from './bareValidation.js';

const child = fileURLToPath(new URL('./bareChild.ts', import.meta.url));

/** node-saml's resolved options without what cannot cross a process boundary (the request cache, callbacks). */
function portableOptions(sp: SAML): Record<string, unknown> {
  return Object.fromEntries(Object.entries(sp.options).filter(([key, value]) => key !== 'cacheProvider' && typeof value !== 'function'));
}

async function nextMessage<T>(process: ChildProcess): Promise<T> {
  const [message] = (await Promise.race([once(process, 'message'), once(process, 'exit').then(() => [undefined])])) as [T | undefined];
  if (message === undefined) throw new Error(`a bare-validation process exited early (code ${process.exitCode})`);
  return message;
}

export interface ParallelBareResult {
  processes: number;
  perSecond: number;
  each: BareResult[];
}

export async function measureBareInParallel(
  sp: SAML,
  responses: string[],
  durationMs: number,
  processes: number,
): Promise<ParallelBareResult> {
  const children = Array.from({ length: processes }, () => fork(child, [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' }));
  try {
    for (const c of children) c.send({ options: portableOptions(sp), responses, durationMs });
    await Promise.all(children.map((c) => nextMessage<{ ready: true }>(c)));
    const results = children.map((c) => nextMessage<{ result: BareResult }>(c));
    for (const c of children) c.send('go');
    const each = (await Promise.all(results)).map((m) => m.result);
    return { processes, perSecond: each.reduce((sum, r) => sum + r.perSecond, 0), each };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}
