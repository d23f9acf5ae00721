import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { ensureTemporalCli } from '../../scripts/temporal-cli.mjs';

export const historiesDir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

/**
 * With RECORD_HISTORIES=1, saves a finished workflow's history (as `temporal workflow show` prints it)
 * as a replay fixture. Committed fixtures are replayed by test/temporal/replay.test.ts, so a change that
 * breaks determinism fails CI.
 */
export async function recordHistory(workflowId: string, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const json = execFileSync(
    ensureTemporalCli(),
    ['workflow', 'show', '--workflow-id', workflowId, '--address', inject('temporalAddress'), '--output', 'json'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  writeFileSync(`${historiesDir}${name}.json`, json);
}
