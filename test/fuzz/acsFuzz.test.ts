// Mutation fuzzing of the ACS: valid signed responses (xmlsec1) mutated 10,000 ways, posted to the
// production API process over keep-alive. Nothing may answer 5xx, nothing may log in, memory stays flat.
import { Agent } from 'node:http';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessions } from '../../db/schema.js';
import { freePort } from '../../lib/ports.js';
import { NoAnswerError, postAcsForm, startProductionApi } from '../support/acs-load.js';
import { testDatabase } from '../support/deps.js';
import { generateSelfSignedCertificate } from '../support/idp/self-signed.js';
import type { ApiProcess } from '../support/processes.js';
import { signedResponse } from '../support/saml/craft.js';
import { createTestConnection, plannedConnection, ssoUser, uniqueDomain } from '../support/saml-app.js';

const database = testDatabase();
const total = Number(process.env.FUZZ_TOTAL ?? 10_000);
const concurrency = 16;
let api: ApiProcess;
let planned: ReturnType<typeof plannedConnection>;
const seeds: string[] = [];

/** A small deterministic PRNG (mulberry32), so a failing mutation can be reproduced from its index. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const snippets = [
  '<!---->',
  '<a/>',
  '&amp;',
  '&lt;',
  ']]>',
  '<![CDATA[x]]>',
  '"',
  "'",
  '\u0000',
  '\uffff',
  '<saml:Assertion>',
  '</samlp:Response>',
  'xmlns:x="y"',
  '\u202e',
];

/** One mutated body for index `i`: each strategy is something an attacker or a broken proxy produces. */
function mutate(i: number): string {
  const random = rng(i + 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const seed = pick(seeds);
  const xml = Buffer.from(seed, 'base64').toString('utf8');
  const at = (length: number) => Math.floor(random() * length);
  switch (i % 10) {
    case 0: {
      const bytes = Buffer.from(xml, 'utf8');
      for (let n = 0; n < 1 + at(4); n++) bytes[at(bytes.length)] = at(256);
      return bytes.toString('base64');
    }
    case 1: {
      const chars = seed.split('');
      chars[at(chars.length)] = pick(['A', '/', '+', '=', '*', ' ', '%', '-', '_']);
      return chars.join('');
    }
    case 2:
      return seed.slice(0, at(seed.length));
    case 3:
      return Buffer.from(xml.slice(0, at(xml.length)), 'utf8').toString('base64');
    case 4:
      return pick([seed.replace(/.{76}/g, '$&\r\n'), seed.replaceAll('+', '-').replaceAll('/', '_'), ` ${seed}`, `${seed}\t`]);
    case 5:
      return Buffer.from(Array.from({ length: 1 + at(4000) }, () => at(256))).toString('base64');
    case 6: {
      const position = at(xml.length);
      return Buffer.from(`${xml.slice(0, position)}${pick(snippets)}${xml.slice(position)}`, 'utf8').toString('base64');
    }
    case 7:
      return Buffer.from(
        xml.replace(/<saml:AttributeValue>[^<]*/, `<saml:AttributeValue>${'x'.repeat(50_000 + at(100_000))}`),
        'utf8',
      ).toString('base64');
    case 8: {
      const depth = 100 + at(20_000);
      return Buffer.from(
        xml.replace('</samlp:Response>', `${'<x>'.repeat(depth)}${'</x>'.repeat(depth)}</samlp:Response>`),
        'utf8',
      ).toString('base64');
    }
    default: {
      const attribute = pick(['ID', 'Destination', 'Version', 'IssueInstant', 'Recipient', 'NotOnOrAfter', 'InResponseTo']);
      return Buffer.from(xml.replace(new RegExp(`${attribute}="[^"]*"`), `${attribute}="${pick(snippets)}${at(1e9)}"`), 'utf8').toString(
        'base64',
      );
    }
  }
}

beforeAll(async () => {
  const idp = await generateSelfSignedCertificate({ commonName: 'fuzz-idp.example.test' });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  planned = plannedConnection(baseUrl);
  const domain = uniqueDomain();
  await createTestConnection(database, {
    id: planned.id,
    idpEntityId: 'https://fuzz-idp.example.test',
    ssoUrl: 'https://fuzz-idp.example.test/sso',
    ssoBinding: 'redirect',
    emailDomains: [domain],
    certificates: [idp.certificatePem],
  });
  for (let i = 0; i < 8; i++) {
    const email = `fuzz${i}@${domain}`;
    await ssoUser(database, email, 'enforced', planned.id);
    seeds.push(
      await signedResponse({
        destination: planned.acsUrl,
        audience: planned.entityId,
        issuer: 'https://fuzz-idp.example.test',
        keyPem: idp.privateKeyPem,
        certPem: idp.certificatePem,
        email,
        attributes: [{ name: 'email', values: [email] }],
      }),
    );
  }
  // A heap capped at 96 MB, which the API runs within: V8 collects before it grows, so RSS reads what is kept rather
  // than when the collector last ran (without the cap it wandered ±25 % run to run), and a leak runs out.
  api = await startProductionApi(port, ['--max-old-space-size=96']);
});

afterAll(async () => {
  await api?.stop();
  await database.close();
});

describe('ACS fuzzing', () => {
  it(`answers ${total} mutated posts without a 5xx, logs each assertion in at most once, and keeps its memory flat`, {
    timeout: 300_000,
  }, async () => {
    // Control: an unmutated seed logs in, so the refusals below are the mutations' doing.
    const control = await fetch(planned.acsUrl, {
      method: 'POST',
      body: new URLSearchParams({ SAMLResponse: seeds[0] as string }),
      redirect: 'manual',
    });
    expect(control.status).toBe(303);
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    const post = async (i: number) => {
      // A request left unanswered is a failure to report, not a hang of the whole run.
      const res = await postAcsForm(agent, planned.acsUrl, mutate(i), { timeoutMs: 15_000 }).catch((error: unknown) => {
        if (error instanceof NoAnswerError) return undefined;
        throw error;
      });
      if (!res) {
        failures.push(`mutation ${i}: no answer within 15 s`);
        return;
      }
      const status = res.status;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500 || (status < 400 && status !== 303) || (status !== 303 && res.headers['set-cookie']))
        failures.push(`mutation ${i}: ${status}`);
      else if (status === 303) failures.push(`mutation ${i}: 303`);
    };
    let next = 0;
    let rssAfterWarmUp = 0;
    const slowest = { i: -1, ms: 0 };
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        if (i === Math.floor(total / 5)) rssAfterWarmUp = api.rssKiB();
        const started = performance.now();
        await post(i);
        const ms = performance.now() - started;
        if (ms > slowest.ms) Object.assign(slowest, { i, ms });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    agent.destroy();
    const rssAtEnd = api.rssKiB();
    console.log(
      `fuzz: ${total} posts, statuses ${JSON.stringify(Object.fromEntries(statuses))}, slowest mutation ${slowest.i} (${slowest.ms.toFixed(0)} ms), RSS ${rssAfterWarmUp} -> ${rssAtEnd} KiB`,
    );

    // A mutation the signature does not cover (a comment, a line break in the base64, a byte in
    // KeyInfo) is still the IdP's valid response; it may log in, but each assertion only once.
    const logins = failures.filter((f) => f.endsWith(': 303'));
    expect(failures.filter((f) => !f.endsWith(': 303'))).toEqual([]);
    expect(logins.length).toBeLessThanOrEqual(seeds.length - 1);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(total);
    const created = await database.db.select().from(sessions).where(eq(sessions.connectionId, planned.id));
    expect(created).toHaveLength(1 + logins.length);
    const audited = await database.sql<{ assertion: string; n: number }[]>`
      select detail->>'detail' as assertion, count(*)::int as n from audit_events
      where connection_id = ${planned.id} and type = 'login.succeeded' group by 1 having count(*) > 1`;
    expect(audited).toEqual([]);
    // Flat: what grows after warm-up is not kept per request.
    expect(rssAtEnd).toBeLessThan(rssAfterWarmUp * 1.25);
  });
});
