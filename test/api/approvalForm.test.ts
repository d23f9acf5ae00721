// The approval form as an attacker posts it: floods of fields, bodies larger than any review page
// can post, compressed or foreign-charset bodies, links that cannot be used. Each is refused with
// its code and decides nothing. And the form a review page posts: paging by POST carries the
// ticks of other pages in one field, so a page never posts more fields than it shows.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimApproval, issueApproval } from '../../domain/approvals.js';
import { newListId } from '../../domain/migrationLists.js';
import { freePort } from '../../lib/ports.js';
import { hex, newOnboarding } from '../support/activity-env.js';
import { approvalSecret, testApiDeps, testConfig, testDatabase } from '../support/deps.js';
import { listen, type TestServer } from '../support/http.js';
import { parseForms } from '../support/idp/browserless.js';

const database = testDatabase();
let server: TestServer;
let closeTemporal: () => Promise<void>;
const day = 24 * 3600 * 1000;

beforeAll(async () => {
  const port = await freePort();
  const built = testApiDeps(testConfig({ PUBLIC_BASE_URL: `http://127.0.0.1:${port}` }), database);
  closeTemporal = built.closeTemporal;
  server = await listen(built.app, port);
});
afterAll(async () => {
  await server?.close();
  await closeTemporal?.();
  await database.close();
});

interface ReviewLink {
  url: string;
  tokenId: string;
  /** The list's users in the order the review page shows them (by email). */
  sids: string[];
}

/** A ready migration list of `count` users (user000001@… in page order) and a valid link to review it. */
async function listUnderReview(count: number): Promise<ReviewLink> {
  const fixture = await newOnboarding(database);
  const users = await database.sql<{ sid: string }[]>`
    insert into users (sid, email)
    select 'US' || md5(${fixture.domain} || g::text), 'user' || lpad(g::text, 6, '0') || '@' || ${fixture.domain}
    from generate_series(1, ${count}::int) g
    returning sid`;
  const listId = newListId();
  await database.sql`
    insert into migration_lists (id, onboarding_id, version, method, params, status, total)
    values (${listId}, ${fixture.onboardingId}, 1, 'domain', ${JSON.stringify({ domain: fixture.domain })}::jsonb, 'ready', ${count})`;
  await database.sql`
    insert into migration_list_entries (list_id, user_sid, email)
    select ${listId}, sid, email from users where sid = any(${users.map((u) => u.sid)}::text[])`;
  const link = await issue(fixture.onboardingId, 'migration_list', new Date(Date.now() + 7 * day));
  const ordered = await database.sql<{ user_sid: string }[]>`
    select user_sid from migration_list_entries where list_id = ${listId} order by email, user_sid`;
  return { ...link, sids: ordered.map((r) => r.user_sid) };
}

async function issue(onboardingId: string, step: 'pilot' | 'migration_list' | 'go_ahead', expiresAt: Date) {
  const tokenId = `apr_${hex(16)}`;
  const issued = await issueApproval(database.db, {
    tokenId,
    onboardingId,
    step,
    approverEmail: `admin@${hex()}.test`,
    subjectVersion: 1,
    expiresAt,
    secret: approvalSecret,
    publicBaseUrl: server.url,
    now: new Date(Date.now() - day),
  });
  return { url: issued.url, tokenId };
}

interface Answer {
  status: number;
  code: string | undefined;
  text: string;
}

const codeIn = (text: string) => {
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
};

/**
 * A POST whose body is written by the test, piece by piece: the answer can be awaited before the
 * body is complete, which shows the server answered without waiting for (reading) the rest.
 */
function openPost(url: string, headers: Record<string, string | number>) {
  const req = http.request(url, {
    method: 'POST',
    agent: false,
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: codeIn(text), text }));
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  return {
    answer,
    write: (chunk: string | Buffer) => req.write(chunk),
    end: (chunk?: string | Buffer) => req.end(chunk),
    abort: () => req.destroy(),
  };
}

async function post(url: string, body: string | Buffer, headers: Record<string, string | number> = {}): Promise<Answer> {
  const request = openPost(url, { 'content-length': Buffer.byteLength(body), ...headers });
  request.end(body);
  return await request.answer;
}

const form = (fields: [string, string][]) => new URLSearchParams(fields).toString();
const healthz = async () => (await fetch(`${server.url}/healthz`)).status;

/** The link is as it was issued: unused, no decision, no exclusions stored, its page still shown. */
async function expectNothingDecided(link: { url: string; tokenId: string }) {
  const [token] = await database.sql<{ used_at: Date | null; decision: string | null }[]>`
    select used_at, decision from approval_tokens where id = ${link.tokenId}`;
  expect(token).toEqual({ used_at: null, decision: null });
  const [stored] = await database.sql<{ n: number }[]>`select count(*)::int as n from approval_exclusions where token_id = ${link.tokenId}`;
  expect(stored?.n).toBe(0);
  expect((await fetch(link.url, { headers: { accept: 'text/html' } })).status).toBe(200);
}

describe('a hostile approval form', () => {
  let large: ReviewLink;
  let small: ReviewLink;
  beforeAll(async () => {
    large = await listUnderReview(25_000);
    small = await listUnderReview(3);
  });

  it('refuses 40,000 repeated exclude fields as too many fields, without parsing them, and decides nothing', async () => {
    // 360 KB: within what a 25,000-user list's page may post, so the body is read and its fields counted.
    const flood = `decision=approve${'&exclude='.repeat(40_000)}`;

    const [answer, concurrent] = await Promise.all([post(large.url, flood), healthz()]);

    expect([answer.status, answer.code]).toEqual([413, 'too_many_fields']);
    expect(concurrent).toBe(200);
    await expectNothingDecided(large);
  });

  it('refuses a body declared larger than the list can post before reading it, answering others meanwhile', async () => {
    const sid = small.sids[0] as string;
    const huge = Buffer.from(`decision=approve${`&exclude=${sid}`.repeat(200_000)}`);
    const request = openPost(small.url, { 'content-length': huge.length });
    request.write(huge.subarray(0, 64 * 1024));

    const answer = await request.answer;
    const concurrent = await healthz();
    request.abort();

    expect([answer.status, answer.code]).toEqual([413, 'payload_too_large']);
    expect(concurrent).toBe(200);
    await expectNothingDecided(small);
  });

  it('refuses a chunked body once it passes what the list can post', async () => {
    const request = openPost(small.url, { 'transfer-encoding': 'chunked' });
    request.write('decision=approve');
    const chunk = `&exclude=${small.sids[0]}`.repeat(2000);
    for (let i = 0; i < 5; i++) request.write(chunk);

    const answer = await request.answer;
    request.abort();

    expect([answer.status, answer.code]).toEqual([413, 'payload_too_large']);
    await expectNothingDecided(small);
  });

  it.each([
    [
      'not a link we issued',
      async () => ({ url: `${server.url}/approvals/apr_${hex(16)}.${randomBytes(32).toString('base64url')}` }),
      404,
      'invalid_link',
    ],
    [
      'used',
      async () => {
        const link = await listUnderReview(2);
        await claimApproval(database.db, link.tokenId, 'approve', new Date());
        return link;
      },
      410,
      'link_used',
    ],
    [
      'expired',
      async () => {
        const { onboardingId } = await newOnboarding(database);
        return await issue(onboardingId, 'go_ahead', new Date(Date.now() - 60_000));
      },
      410,
      'link_expired',
    ],
  ] as const)('answers a link that is %s without reading the body posted to it', async (_state, link, status, code) => {
    const { url } = await link();
    const request = openPost(url, { 'content-length': 4 * 1024 * 1024 });
    request.write('decision=approve&reason=');

    const answer = await request.answer;
    request.abort();

    expect([answer.status, answer.code]).toEqual([status, code]);
  });

  it('refuses a compressed form as unsupported_encoding rather than inflating it', async () => {
    const answer = await post(small.url, gzipSync(form([['decision', 'approve']])), { 'content-encoding': 'gzip' });

    expect([answer.status, answer.code]).toEqual([415, 'unsupported_encoding']);
    await expectNothingDecided(small);
  });

  it('refuses a form in a foreign charset as unsupported_encoding', async () => {
    const answer = await post(small.url, Buffer.from(form([['decision', 'approve']]), 'utf16le'), {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-16le',
    });

    expect([answer.status, answer.code]).toEqual([415, 'unsupported_encoding']);
    await expectNothingDecided(small);
  });

  it('refuses more distinct exclusions than the list has users', async () => {
    const strangers = [`US${hex(16)}`, `US${hex(16)}`];
    const answer = await post(
      small.url,
      form([
        ['decision', 'approve'],
        ['excluded', [...small.sids, ...strangers].join(' ')],
      ]),
    );

    expect([answer.status, answer.code]).toEqual([422, 'too_many_exclusions']);
    await expectNothingDecided(small);
  });

  it('refuses users not on the list, named in the excluded field, as unknown_exclusions', async () => {
    const stranger = `US${hex(16)}`;
    const answer = await post(
      small.url,
      form([
        ['decision', 'approve'],
        ['excluded', `${small.sids[0]},${stranger}`],
      ]),
    );

    expect([answer.status, answer.code]).toEqual([422, 'unknown_exclusions']);
    expect(JSON.parse(answer.text).error.details).toEqual([stranger]);
    await expectNothingDecided(small);
  });

  it('refuses a malformed SID in the excluded field', async () => {
    const answer = await post(
      small.url,
      form([
        ['decision', 'approve'],
        ['excluded', `${small.sids[0]} not-a-sid`],
      ]),
    );

    expect([answer.status, answer.code]).toEqual([400, 'invalid_request']);
    await expectNothingDecided(small);
  });
});

describe('the review page form', () => {
  let list: ReviewLink;
  beforeAll(async () => {
    list = await listUnderReview(150);
  });

  const htmlPost = async (fields: [string, string][]) => {
    const res = await fetch(list.url, { method: 'POST', body: new URLSearchParams(fields), headers: { accept: 'text/html' } });
    return { status: res.status, form: parseForms(await res.text(), list.url)[0] };
  };
  const named = (fields: { name: string; value: string; checked: boolean }[] | undefined, name: string) =>
    (fields ?? []).filter((f) => f.name === name);

  it('pages by POST, carrying the users ticked on other pages in one field, and decides nothing', async () => {
    const onFirstPage = list.sids[3] as string;

    const next = await htmlPost([
      ['exclude', onFirstPage],
      ['action', 'page:2'],
      ['reason', 'checking'],
    ]);

    expect(next.status).toBe(200);
    expect(next.form?.method).toBe('POST');
    const checkboxes = named(next.form?.fields, 'exclude');
    expect(checkboxes).toHaveLength(50);
    expect(checkboxes.some((f) => f.value === onFirstPage)).toBe(false);
    expect(named(next.form?.fields, 'excluded').map((f) => f.value)).toEqual([onFirstPage]);
    await expectNothingDecided(list);
  });

  it('shows a carried user ticked again on its own page, and no longer carries it', async () => {
    const onFirstPage = list.sids[3] as string;
    const onSecondPage = list.sids[120] as string;

    const back = await htmlPost([
      ['exclude', onSecondPage],
      ['excluded', onFirstPage],
      ['action', 'page:1'],
    ]);

    expect(back.status).toBe(200);
    const checkboxes = named(back.form?.fields, 'exclude');
    expect(checkboxes).toHaveLength(100);
    expect(checkboxes.filter((f) => f.checked).map((f) => f.value)).toEqual([onFirstPage]);
    expect(named(back.form?.fields, 'excluded').map((f) => f.value)).toEqual([onSecondPage]);
  });

  it('keeps every tick in fields a page can post, however many are ticked', async () => {
    const ticked = list.sids.slice(0, 140);

    const page = await htmlPost([
      ['excluded', ticked.join(' ')],
      ['action', 'page:2'],
    ]);

    expect(page.status).toBe(200);
    const fields = page.form?.fields ?? [];
    expect(fields.length).toBeLessThanOrEqual(100 + 5);
    const carried = named(fields, 'excluded')[0]?.value.split(/[\s,]+/) ?? [];
    const checked = named(fields, 'exclude')
      .filter((f) => f.checked)
      .map((f) => f.value);
    expect(new Set([...carried, ...checked])).toEqual(new Set(ticked));
  });
});

describe('a decision that cannot be recorded', () => {
  it('gives the link back without the exclusions stored with its claim', async () => {
    // The link's onboarding has no workflow, so the Update cannot be delivered: the 503 path.
    const list = await listUnderReview(5);

    const answer = await post(
      list.url,
      form([
        ['decision', 'approve'],
        ['exclude', list.sids[0] as string],
        ['excluded', list.sids.slice(1, 3).join(' ')],
      ]),
    );

    expect([answer.status, answer.code]).toEqual([503, 'temporarily_unavailable']);
    await expectNothingDecided(list);
  });
});
