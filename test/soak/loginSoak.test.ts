// Two minutes of mixed valid and refused SSO logins at 50 concurrent connections against the API process:
// nothing but the intended answers, and memory that does not grow.
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lib/ports.js';
import { postAcsForm, startProductionApi } from '../support/acs-load.js';
import { testDatabase } from '../support/deps.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../support/idp/self-signed.js';
import type { ApiProcess } from '../support/processes.js';
import { quickSignedResponse } from '../support/saml/fastSigner.js';
import { createTestConnection, plannedConnection, ssoUser, uniqueDomain } from '../support/saml-app.js';

const database = testDatabase();
const seconds = Number(process.env.SOAK_SECONDS ?? 120);
const connections = 50;
const idpEntityId = 'https://soak-idp.example.test';
let api: ApiProcess;
let planned: ReturnType<typeof plannedConnection>;
let idp: SelfSignedCertificate;
const emails: string[] = [];

beforeAll(async () => {
  idp = await generateSelfSignedCertificate({ commonName: 'soak-idp.example.test' });
  const port = await freePort();
  planned = plannedConnection(`http://127.0.0.1:${port}`);
  const domain = uniqueDomain();
  await createTestConnection(database, {
    id: planned.id,
    idpEntityId,
    ssoUrl: 'https://soak-idp.example.test/sso',
    ssoBinding: 'redirect',
    emailDomains: [domain],
    certificates: [idp.certificatePem],
  });
  for (let i = 0; i < 20; i++) {
    emails.push(`soak${i}@${domain}`);
    await ssoUser(database, emails[i] as string, 'enforced', planned.id);
  }
  // A small heap makes V8 collect eagerly, so resident memory shows what is kept, not what is not yet collected.
  api = await startProductionApi(port, ['--max-old-space-size=96']);
});

afterAll(async () => {
  await api?.stop();
  await database.close();
});

type Kind = 'valid' | 'replayed' | 'wrong_audience' | 'junk' | 'unknown_user';
const expected: Record<Kind, { status: number; code?: string }> = {
  valid: { status: 303 },
  replayed: { status: 403, code: 'assertion_replayed' },
  wrong_audience: { status: 403, code: 'audience_mismatch' },
  junk: { status: 400, code: 'malformed_base64' },
  unknown_user: { status: 403, code: 'user_not_found' },
};

describe('login soak', () => {
  it(`serves ${seconds} s of mixed logins at ${connections} connections with only the intended answers and flat memory`, {
    timeout: (seconds + 120) * 1000,
  }, async () => {
    const base = { destination: planned.acsUrl, audience: planned.entityId, issuer: idpEntityId };
    const used = quickSignedResponse({ ...base, email: emails[0] as string }, idp);
    const fixed: Record<Exclude<Kind, 'valid'>, string> = {
      replayed: used,
      wrong_audience: quickSignedResponse({ ...base, audience: 'https://another-sp.example.test', email: emails[0] as string }, idp),
      junk: 'not*base64',
      unknown_user: '',
    };
    const agent = new Agent({ keepAlive: true, maxSockets: connections });
    const counts = new Map<string, number>();
    const unexpected: string[] = [];
    const post = async (kind: Kind, samlResponse: string) => {
      const res = await postAcsForm(agent, planned.acsUrl, samlResponse);
      const want = expected[kind];
      const code = res.status === 303 ? undefined : (JSON.parse(res.body) as { error?: { code?: string } }).error?.code;
      const key = `${kind}:${res.status}:${code ?? ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (res.status !== want.status || code !== want.code) unexpected.push(key);
    };

    // The first post of `used` logs in; every later one is a replay.
    await post('valid', used);
    let n = 0;
    const next = (): [Kind, string] => {
      n += 1;
      const kinds: Kind[] = ['valid', 'valid', 'replayed', 'wrong_audience', 'junk', 'unknown_user'];
      const kind = kinds[n % kinds.length] as Kind;
      if (kind === 'valid') return [kind, quickSignedResponse({ ...base, email: emails[n % emails.length] as string }, idp)];
      if (kind === 'unknown_user') return [kind, quickSignedResponse({ ...base, email: `nobody${n}@nowhere.test` }, idp)];
      return [kind, fixed[kind]];
    };
    const started = Date.now();
    const warmUpEnds = started + Math.min(30_000, (seconds * 1000) / 4);
    let rssAfterWarmUp = 0;
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(api.rssKiB()), 10_000);
    const worker = async () => {
      while (Date.now() - started < seconds * 1000) {
        if (!rssAfterWarmUp && Date.now() >= warmUpEnds) rssAfterWarmUp = api.rssKiB();
        const [kind, samlResponse] = next();
        await post(kind, samlResponse);
      }
    };
    await Promise.all(Array.from({ length: connections }, worker));
    agent.destroy();
    clearInterval(sampler);
    const rssAtEnd = api.rssKiB();
    console.log(
      `soak: ${n} posts in ${seconds} s, ${JSON.stringify(Object.fromEntries(counts))}, RSS ${rssAfterWarmUp} -> ${rssAtEnd} KiB`,
    );

    expect(unexpected).toEqual([]);
    for (const kind of Object.keys(expected)) expect([...counts.keys()].some((k) => k.startsWith(`${kind}:`))).toBe(true);
    expect(rssAtEnd).toBeLessThan(rssAfterWarmUp * 1.1);
  });
});
