// The support API's bearer token, attacked: guesses are throttled per client address, and which proxy may
// name that address (X-Forwarded-For) is TRUST_PROXY's to say.
import { randomInt } from 'node:crypto';
import { request } from 'node:http';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supportTokenFailuresAllowed } from '../../api/middleware/supportAuth.js';
import { auditEvents } from '../../db/schema.js';
import { supportToken, testDatabase } from '../support/deps.js';
import { type SamlTestApp, startSamlTestApp } from '../support/saml-app.js';

const database = testDatabase();
let trustingLoopback: SamlTestApp;
let trustingNone: SamlTestApp;

beforeAll(async () => {
  [trustingLoopback, trustingNone] = await Promise.all([
    startSamlTestApp(database),
    startSamlTestApp(database, {}, { TRUST_PROXY: 'none' }),
  ]);
});
afterAll(async () => {
  await Promise.all([trustingLoopback?.close(), trustingNone?.close()]);
  await database.close();
});

// A user that does not exist: 404 means the token was accepted.
const unknownUserPath = `/api/users/US${'0'.repeat(32)}`;
const wrongToken = (i: number) => `wrong-support-token-${i}-0123456789`;
// Addresses of this file's own (the database is fresh each run, and other files count from other ranges).
let addresses = 0;
const freshAddress = () => {
  addresses++;
  return `198.19.${addresses >> 8}.${addresses & 255}`;
};
// Every test file shares one database and reaches the app from loopback, so a test that must not have its
// address rewritten connects from a loopback address of its own (all of 127.0.0.0/8 is loopback).
const ownLoopbackAddress = () => `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;

interface Answer {
  status: number;
  code: string | undefined;
  retryAfter: string | undefined;
}

/** GET over node:http, which, unlike fetch, can choose the address the request comes from. */
function callApi(
  app: SamlTestApp,
  opts: { token?: string; forwardedFor?: string; localAddress?: string; path?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.forwardedFor) headers['x-forwarded-for'] = opts.forwardedFor;
  return new Promise((resolve, reject) => {
    const req = request(
      `${app.baseUrl}${opts.path ?? unknownUserPath}`,
      { headers, localAddress: opts.localAddress, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => {
          const parsed = body ? (JSON.parse(body) as { error?: { code?: string } }) : {};
          resolve({ status: res.statusCode ?? 0, code: parsed.error?.code, retryAfter: res.headers['retry-after'] });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const refusalsFrom = async (ip: string) =>
  await database.db
    .select({ reasonCode: auditEvents.reasonCode })
    .from(auditEvents)
    .where(and(eq(auditEvents.type, 'support.api_refused'), sql`${auditEvents.detail}->>'ip' = ${ip}`));

describe('the support API bearer token', () => {
  it(`turns an address away after ${supportTokenFailuresAllowed} wrong tokens, even with the right one, and audits each refusal`, async () => {
    const guesser = freshAddress();
    for (let i = 0; i < supportTokenFailuresAllowed; i++) {
      expect(await callApi(trustingLoopback, { token: wrongToken(i), forwardedFor: guesser })).toMatchObject({
        status: 401,
        code: 'unauthorized',
      });
    }
    const locked = await callApi(trustingLoopback, { token: supportToken, forwardedFor: guesser });
    expect(locked).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(Number(locked.retryAfter)).toBeGreaterThan(14 * 60);
    expect(await callApi(trustingLoopback, { token: wrongToken(99), forwardedFor: guesser })).toMatchObject({ status: 429 });
    const reasons = (await refusalsFrom(guesser)).map((r) => r.reasonCode);
    expect({
      wrong: reasons.filter((r) => r === 'wrong_token').length,
      limited: reasons.filter((r) => r === 'rate_limited').length,
    }).toEqual({
      wrong: supportTokenFailuresAllowed,
      limited: 2,
    });
  });

  it('still lets another address in with the right token', async () => {
    const guesser = freshAddress();
    for (let i = 0; i <= supportTokenFailuresAllowed; i++) await callApi(trustingLoopback, { token: wrongToken(i), forwardedFor: guesser });
    const other = freshAddress();
    expect(await callApi(trustingLoopback, { token: supportToken, forwardedFor: other })).toMatchObject({ status: 404, code: 'not_found' });
  });

  it(`evaluates at most ${supportTokenFailuresAllowed} of 40 wrong tokens fired at once from one address; the rest are 429`, async () => {
    const guesser = freshAddress();
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => await callApi(trustingLoopback, { token: wrongToken(i), forwardedFor: guesser })),
    );
    const count = (status: number) => answers.filter((a) => a.status === status).length;
    expect({ evaluated: count(401), limited: count(429) }).toEqual({
      evaluated: supportTokenFailuresAllowed,
      limited: 40 - supportTokenFailuresAllowed,
    });
  });

  it('does not count a request without a token as a guess', async () => {
    const caller = freshAddress();
    for (let i = 0; i <= supportTokenFailuresAllowed; i++) {
      expect(await callApi(trustingLoopback, { forwardedFor: caller })).toMatchObject({ status: 401, code: 'unauthorized' });
    }
    expect(await callApi(trustingLoopback, { token: supportToken, forwardedFor: caller })).toMatchObject({ status: 404 });
  });
});

describe('TRUST_PROXY', () => {
  it('none: a forged X-Forwarded-For does not change the address guesses are counted by', async () => {
    const localAddress = ownLoopbackAddress();
    for (let i = 0; i < supportTokenFailuresAllowed; i++) {
      const forged = freshAddress();
      expect(await callApi(trustingNone, { token: wrongToken(i), forwardedFor: forged, localAddress })).toMatchObject({ status: 401 });
    }
    const last = await callApi(trustingNone, { token: supportToken, forwardedFor: freshAddress(), localAddress });
    expect(last).toMatchObject({ status: 429, code: 'rate_limited' });
    expect((await refusalsFrom(localAddress)).length).toBe(supportTokenFailuresAllowed + 1);
  });

  it('loopback: the address a loopback proxy forwards is the one counted', async () => {
    const localAddress = ownLoopbackAddress();
    for (let i = 0; i <= supportTokenFailuresAllowed; i++) {
      expect(await callApi(trustingLoopback, { token: wrongToken(i), forwardedFor: freshAddress(), localAddress })).toMatchObject({
        status: 401,
      });
    }
    expect(await callApi(trustingLoopback, { token: supportToken, localAddress })).toMatchObject({ status: 404 });
    expect(await refusalsFrom(localAddress)).toEqual([]);
  });
});
