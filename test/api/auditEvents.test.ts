import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type AuditEvent, recordAuditEvent } from '../../domain/audit.js';
import { supportToken } from '../support/deps.js';
import { useApiEnv } from '../support/saml-app.js';

const { database, app } = useApiEnv();

interface Page {
  items: {
    id: string;
    at: string;
    type: string;
    userSid: string | null;
    connectionId: string | null;
    onboardingId: string | null;
    actor: string | null;
    reasonCode: string | null;
    traceId: string | null;
    detail: Record<string, unknown>;
  }[];
  nextCursor: string | null;
  error?: { code: string; message: string; details?: { path: string; message: string }[] };
}

async function events(query: Record<string, string | undefined>) {
  const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
  const res = await fetch(`${app.baseUrl}/api/audit-events?${params}`, { headers: { authorization: `Bearer ${supportToken}` } });
  return { status: res.status, body: (await res.json()) as Page };
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const userSid = () => `US${hex(16)}`;
const connectionId = () => `conn_${hex(12)}`;
const onboardingId = () => `ob_${hex(12)}`;

/** Every page of a filter, following nextCursor. */
async function allPages(query: Record<string, string | undefined>) {
  const pages: Page[] = [];
  let cursor: string | undefined;
  do {
    const res = await events({ ...query, cursor });
    expect(res.status, JSON.stringify(res.body.error)).toBe(200);
    pages.push(res.body);
    cursor = res.body.nextCursor ?? undefined;
  } while (cursor);
  return pages;
}

async function record(...list: AuditEvent[]) {
  for (const event of list) await recordAuditEvent(database.db, event);
}

describe('GET /api/audit-events', () => {
  it('pages through one user’s events newest first, each once, with events of the same instant kept apart', async () => {
    const sid = userSid();
    const base = Date.parse('2026-03-01T10:00:00Z');
    // Five events, two pairs of them at the same millisecond: the cursor must not skip or repeat either.
    const times = [0, 1000, 1000, 2000, 2000].map((ms) => new Date(base + ms));
    for (const [i, at] of times.entries()) await record({ type: 'login.refused', reasonCode: `r${i}`, userSid: sid, at, detail: { i } });
    await record({ type: 'login.refused', userSid: userSid(), at: new Date(base + 1500) });

    const pages = await allPages({ userSid: sid, limit: '2' });
    expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);
    const seen = pages.flatMap((p) => p.items);
    expect(seen.map((e) => e.detail.i)).toEqual([4, 3, 2, 1, 0]);
    expect(seen.every((e) => e.userSid === sid)).toBe(true);
    expect(seen[0]).toMatchObject({ at: new Date(base + 2000).toISOString(), type: 'login.refused', reasonCode: 'r4' });
  });

  it('combines the connection, onboarding, type and time filters', async () => {
    const conn = connectionId();
    const ob = onboardingId();
    const at = (minute: number) => new Date(Date.parse('2026-04-01T08:00:00Z') + minute * 60_000);
    await record(
      { type: 'connection.updated', connectionId: conn, onboardingId: ob, actor: 'support', at: at(0), detail: { n: 0 } },
      { type: 'connection.disabled', connectionId: conn, onboardingId: ob, actor: 'support', at: at(10), detail: { n: 1 } },
      { type: 'connection.updated', connectionId: conn, at: at(20), detail: { n: 2 } },
      { type: 'connection.updated', connectionId: conn, onboardingId: ob, at: at(30), detail: { n: 3 } },
      { type: 'connection.updated', connectionId: connectionId(), onboardingId: ob, at: at(5), detail: { n: 4 } },
    );
    const ns = async (query: Record<string, string>) => (await events(query)).body.items.map((e) => e.detail.n);
    expect(await ns({ connectionId: conn })).toEqual([3, 2, 1, 0]);
    expect(await ns({ connectionId: conn, onboardingId: ob })).toEqual([3, 1, 0]);
    expect(await ns({ connectionId: conn, type: 'connection.updated' })).toEqual([3, 2, 0]);
    expect(await ns({ connectionId: conn, from: at(10).toISOString(), to: at(30).toISOString() })).toEqual([2, 1]);
    // Without an offset a time is UTC; a date alone is its midnight.
    expect(await ns({ connectionId: conn, from: '2026-04-01T08:10', to: '2026-04-01T08:30:00' })).toEqual([2, 1]);
    expect(await ns({ connectionId: conn, to: '2026-04-01' })).toEqual([]);
  });

  it('refuses a cursor that was edited, forged, or carried over to other filters, naming the cursor', async () => {
    const sid = userSid();
    for (let i = 0; i < 3; i++) await record({ type: 'login.refused', userSid: sid, at: new Date(Date.parse('2026-05-01T00:00:00Z') + i) });
    const first = await events({ userSid: sid, limit: '1' });
    const cursor = first.body.nextCursor as string;
    expect(cursor).toBeTruthy();
    expect((await events({ userSid: sid, limit: '1', cursor })).status).toBe(200);

    const [payload, mac] = cursor.split('.') as [string, string];
    const moved = Buffer.from(JSON.stringify(['2999-01-01T00:00:00.000000Z', '9999999'])).toString('base64url');
    const tampered = [
      `${moved}.${mac}`,
      `${payload}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`,
      payload,
      'not-a-cursor',
      `${payload}.${mac}.x`,
    ];
    for (const bad of tampered) {
      const res = await events({ userSid: sid, cursor: bad });
      expect(res.status, bad).toBe(400);
      expect(res.body.error?.code).toBe('invalid_request');
      expect(res.body.error?.details?.map((d) => d.path)).toEqual(['cursor']);
    }
    // The cursor of one user's events does not page another user's, nor the whole log.
    expect((await events({ userSid: userSid(), cursor })).status).toBe(400);
    expect((await events({ cursor })).status).toBe(400);
  });

  it('refuses bad parameters with a 400 naming each', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ limit: '0' }, 'limit'],
      [{ limit: '501' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ limit: '1.5' }, 'limit'],
      [{ userSid: 'US123' }, 'userSid'],
      [{ onboardingId: 'ob_nope' }, 'onboardingId'],
      [{ connectionId: '../x' }, 'connectionId'],
      [{ type: 'login.maybe' }, 'type'],
      [{ from: 'yesterday' }, 'from'],
      [{ from: '2026-05-02T00:00Z', to: '2026-05-01T00:00Z' }, 'to'],
      [{ user: 'US00' }, ''],
    ];
    for (const [query, path] of cases) {
      const res = await events(query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body.error?.code).toBe('invalid_request');
      if (path) expect(res.body.error?.details?.map((d) => d.path)).toEqual([path]);
      else expect(res.body.error?.message).toMatch(/user/);
    }
  });

  it('answers only with the support token', async () => {
    const res = await fetch(`${app.baseUrl}/api/audit-events`, { headers: { authorization: 'Bearer wrong' } });
    expect(res.status).toBe(401);
  });
});
