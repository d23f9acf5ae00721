// The support API reads JSON bodies of 1 MB, except a migration list by SIDs, whose documented maximum of
// 200,000 SIDs is about 7.4 MB of JSON; anything larger is a 413 that names the limit, never a 500.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { supportToken } from '../support/deps.js';
import { useApiEnv } from '../support/saml-app.js';

const { app } = useApiEnv();

const megabytes = (n: number) => n * 1024 * 1024;
// An onboarding that does not exist: past the parser, the route answers 404, which is not this file's concern.
const migrationListPath = `/api/onboardings/ob_${randomBytes(12).toString('hex')}/migration-list`;

async function postJson(path: string, body: string) {
  const res = await fetch(`${app.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${supportToken}`, 'content-type': 'application/json', accept: 'application/json' },
    body,
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

const userSids = (count: number) => Array.from({ length: count }, (_, i) => `US${i.toString(16).padStart(32, '0')}`);

describe('request body limits of the support API', () => {
  it('reads a migration list of 200,000 user SIDs', async () => {
    const body = JSON.stringify({ method: 'userSids', userSids: userSids(200_000) });
    expect(body.length).toBeGreaterThan(megabytes(7));
    const res = await postJson(migrationListPath, body);
    expect(res.status).not.toBe(413);
    expect(res.status).toBeLessThan(500);
  });

  it('answers a 9 MB migration list (250,000 SIDs) with 413 naming the 8 MB limit', async () => {
    const body = JSON.stringify({ method: 'userSids', userSids: userSids(250_000) });
    expect(body.length).toBeGreaterThan(megabytes(8.5));
    const res = await postJson(migrationListPath, body);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining('8 MB') });
  });

  it('answers a 2 MB body anywhere else with 413 naming the 1 MB limit', async () => {
    const res = await postJson('/api/accounts', JSON.stringify({ name: 'x'.repeat(megabytes(2)) }));
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining('1 MB') });
  });
});
