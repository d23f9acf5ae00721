// A hostile approval form against the service's logins (issue #10, item 1): 40,000 repeated `exclude=`
// fields (360 KB) posted to a real link of a 25,000-user list under review. body-parser's qs once spent
// 8–12 s of event loop on such a post, with every login waiting behind it. Measured here, in one run:
// an idle login's latency (the baseline), the flood post's own time, and a login's latency while
// floods are posted back to back, as ratios to the idle login.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { issueApproval } from '../domain/approvals.js';
import { progress as acsProgress, setUpConnection, withApi } from './acs/phases.js';
import { createBenchDatabase, insertSsoUsers } from './support/database.js';
import type { Result } from './support/result.js';
import { signedLoginResponses } from './support/signing.js';

export const name = 'approval-flood';

const settings = {
  listUsers: 25_000,
  floodFields: 40_000,
  idleLogins: 60,
  floods: 8,
  concurrentLogins: 60,
  /** Lanes posting floods back to back while the concurrent logins are timed. */
  floodLanes: 2,
};
const approvalSecret = 'bench-approval-link-secret-0123456789abcdef';
const progress = (message: string) => acsProgress(`approval flood: ${message}`);

/** One POST on its own connection; resolves with the status and the milliseconds until the answer ended. */
function timedPost(url: string, body: Buffer, accept: string): Promise<{ status: number; ms: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length, accept },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const p95 = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? Number.NaN;
};

export async function run(): Promise<Result> {
  progress('creating and migrating a bench database');
  const database = await createBenchDatabase();
  try {
    const bench = await setUpConnection(database);
    const emails = await insertSsoUsers(database.database, bench.connection.id, 'bench.test', 500);
    const { sql } = database.database;
    const onboardingId = `ob_${randomBytes(12).toString('hex')}`;
    const listId = `ml_${randomBytes(12).toString('hex')}`;
    await sql`insert into onboardings (id, workflow_id, customer_name, admin_email, email_domains, options)
              values (${onboardingId}, ${`onboarding-${onboardingId}`}, 'Flood Co', 'admin@flood.test', ${['flood.test']}, '{}'::jsonb)`;
    await sql`insert into users (sid, email) select 'US' || md5('flood:' || n), 'user' || n || '@flood.test'
              from generate_series(1, ${settings.listUsers}::int) n`;
    await sql`insert into migration_lists (id, onboarding_id, version, method, params, status, total)
              values (${listId}, ${onboardingId}, 1, 'domain', '{"domain":"flood.test"}'::jsonb, 'ready', ${settings.listUsers})`;
    await sql`insert into migration_list_entries (list_id, user_sid, email, flags)
              select ${listId}, 'US' || md5('flood:' || n), 'user' || n || '@flood.test', '{}'::text[]
              from generate_series(1, ${settings.listUsers}::int) n`;
    const link = await issueApproval(database.database.db, {
      tokenId: `apr_${randomBytes(16).toString('hex')}`,
      onboardingId,
      step: 'migration_list',
      approverEmail: 'admin@flood.test',
      subjectVersion: 1,
      expiresAt: new Date(Date.now() + 86_400_000),
      secret: approvalSecret,
      publicBaseUrl: bench.baseUrl,
      now: new Date(),
    });
    progress(`a ${settings.listUsers}-user list under review at ${link.url.replace(/\.[^.]+$/, '.…')}`);
    const flood = Buffer.from(`decision=approve${'&exclude='.repeat(settings.floodFields)}`);
    const total = settings.idleLogins + settings.concurrentLogins + 2;
    const logins = signedLoginResponses(bench.idp, bench.to, emails, total, 'the approval flood').map((SAMLResponse) =>
      Buffer.from(new URLSearchParams({ SAMLResponse }).toString()),
    );
    let next = 0;
    const login = async () => {
      const answer = await timedPost(bench.to.acsUrl, logins[next++] as Buffer, 'text/html');
      if (answer.status !== 303) throw new Error(`a bench login was refused (${answer.status}); nothing to measure`);
      return answer.ms;
    };

    return await withApi(bench, 1, async () => {
      await login();
      await login();
      progress(`${settings.idleLogins} idle logins, one at a time`);
      const idle: number[] = [];
      for (let i = 0; i < settings.idleLogins; i++) idle.push(await login());

      progress(`${settings.floods} flood posts of ${(flood.length / 1024).toFixed(0)} KiB, one at a time`);
      const floods: number[] = [];
      const statuses = new Map<number, number>();
      for (let i = 0; i < settings.floods; i++) {
        const answer = await timedPost(link.url, flood, 'application/json');
        floods.push(answer.ms);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      }

      progress(`${settings.concurrentLogins} logins while ${settings.floodLanes} lanes post floods back to back`);
      let flooding = true;
      let floodsDuring = 0;
      const lanes = Array.from({ length: settings.floodLanes }, async () => {
        while (flooding) {
          const answer = await timedPost(link.url, flood, 'application/json');
          floodsDuring++;
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        }
      });
      const during: number[] = [];
      try {
        for (let i = 0; i < settings.concurrentLogins; i++) during.push(await login());
      } finally {
        flooding = false;
        await Promise.all(lanes);
      }

      const idleMs = median(idle);
      const floodMs = median(floods);
      const duringMs = median(during);
      const statusText = [...statuses].map(([status, n]) => `${n} × ${status}`).join(', ');
      return {
        name,
        figures: [
          {
            label: 'idle login (baseline)',
            value: idleMs,
            unit: 'ms',
            detail: `median of ${idle.length} sequential logins, p95 ${p95(idle).toFixed(1)} ms`,
          },
          {
            label: `flood post: ${settings.floodFields} repeated exclude fields`,
            value: floodMs,
            unit: 'ms',
            detail: `median of ${floods.length}, max ${Math.max(...floods).toFixed(1)} ms; ${(flood.length / 1024).toFixed(0)} KiB to a ${settings.listUsers}-user list's link; answers: ${statusText}`,
          },
          {
            label: 'login during floods',
            value: duringMs,
            unit: 'ms',
            detail: `median of ${during.length} sequential logins, p95 ${p95(during).toFixed(1)} ms, while ${floodsDuring} floods were answered on ${settings.floodLanes} lanes`,
          },
        ],
        targets: [
          {
            label: 'a flood post costs at most a handful (5) of logins',
            ratio: (5 * idleMs) / floodMs,
            atLeast: 1,
            formula: '5 × idle login ms ÷ flood post ms',
          },
          {
            label: 'a login during floods takes at most 2× an idle one',
            ratio: (2 * idleMs) / duringMs,
            atLeast: 1,
            formula: '2 × idle login ms ÷ login-during-floods ms',
          },
        ],
        notes: [
          `flood ÷ idle login = ${(floodMs / idleMs).toFixed(2)}; login during floods ÷ idle login = ${(duringMs / idleMs).toFixed(2)} (p95 ${(p95(during) / idleMs).toFixed(2)})`,
        ],
      };
    });
  } finally {
    progress('dropping the bench database');
    await database.drop();
  }
}
