import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { historiesDir } from '../support/histories.js';

const fixtures = readdirSync(historiesDir).filter((f) => f.endsWith('.json'));

describe('replay of committed workflow histories', () => {
  it('has histories to replay', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(2);
  });

  it.each(fixtures)('replays %s with the current workflow code without a determinism error', async (file) => {
    // The JSON of `temporal workflow show --output json`; the SDK converts it itself.
    const history = JSON.parse(readFileSync(`${historiesDir}${file}`, 'utf8')) as { events: unknown[] };
    expect(history.events.length).toBeGreaterThan(10);
    // Throws DeterminismViolationError (or another failure) when the code no longer matches the history.
    await Worker.runReplayHistory(
      { workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') } },
      history,
      file.replace(/\.json$/, ''),
    );
  });
});
