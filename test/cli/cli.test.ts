import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onboardings } from '../../db/schema.js';
import { freePort } from '../../lib/ports.js';
import { supportToken, testDatabase } from '../support/deps.js';
import { type SimpleSamlIdp, startSimpleSamlIdp } from '../support/idp/simplesamlphp.js';
import { type OnboardingTestEnv, startOnboardingEnv } from '../support/onboarding-env.js';
import { extractLinks, type ReceivedMail } from '../support/smtp.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const database = testDatabase();
let env: OnboardingTestEnv;
let idp: SimpleSamlIdp;
let dir: string;
const domain = `cli-${randomBytes(4).toString('hex')}.test`;
const adminEmail = `it-admin@${domain}`;
const people = ['alice', 'bob'].map((name) => ({ username: name, password: `${name}-idp`, email: `${name}@${domain}` }));

beforeAll(async () => {
  env = await startOnboardingEnv(database);
  idp = await startSimpleSamlIdp({ sp: [], users: people });
  dir = await mkdtemp(join(tmpdir(), 'cli-test-'));
  for (const person of people) expect((await env.api('POST', '/api/users', { email: person.email })).status).toBe(201);
});
afterAll(async () => {
  await idp?.stop();
  await env?.close();
  await database.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** The CLI as support runs it, in its own process, against the test API. */
function startCli(args: string[], envOverrides: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, API_URL: env.baseUrl, SUPPORT_API_TOKEN: supportToken, ...envOverrides },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

const cli = (args: string[], envOverrides?: Record<string, string>) => startCli(args, envOverrides).done;

async function until(check: () => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const approvalLink = async (subject: RegExp, seen: Set<string>) => {
  const mail: ReceivedMail = await env.smtp.waitFor(
    (m) => m.to.includes(adminEmail) && subject.test(m.subject) && extractLinks(m).some((l) => l.includes('/approvals/') && !seen.has(l)),
    20_000,
  );
  const link = extractLinks(mail).find((l) => l.includes('/approvals/') && !seen.has(l)) as string;
  seen.add(link);
  return link;
};
const approve = async (link: string) =>
  expect((await fetch(link, { method: 'POST', body: new URLSearchParams({ decision: 'approve' }) })).status).toBe(200);

const startedId = (stdout: string) => {
  const id = /Started onboarding (ob_[0-9a-f]{24})/.exec(stdout)?.[1];
  if (!id) throw new Error(`no onboarding ID in ${JSON.stringify(stdout)}`);
  return id;
};

describe('usage and exit codes', () => {
  it('lists every command and the exit codes with help', async () => {
    const { code, stdout } = await cli(['help']);
    expect(code).toBe(0);
    for (const command of [
      'start',
      'status',
      'idp-config',
      'verify-domains',
      'override-domain',
      'pilot',
      'confirm-pilot',
      'remove-pilot',
      'resend-link',
      'migrate',
      'cancel',
      'watch',
    ]) {
      expect(stdout).toContain(`\n  ${command} `.replace(/ $/, ''));
    }
    expect(stdout).toContain('Exit codes: 0 done; 1 the API refused');
  });

  it('exits 2 with the usage for a missing argument', async () => {
    const { code, stderr } = await cli(['start', '--customer', 'Acme', '--admin', adminEmail]);
    expect(code).toBe(2);
    expect(stderr).toContain('error: name at least one --domain');
    expect(stderr).toContain('usage: npm run cli -- start --customer NAME');
  });

  it('exits 2 for an unknown command or option', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    const unknownOption = await cli(['status', '--verbose']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toMatch(/error: Unknown option '--verbose'/);
  });

  it('exits 2 for an argument that is not an onboarding ID, before calling the API', async () => {
    const { code, stderr } = await cli(['status', '../users']);
    expect(code).toBe(2);
    expect(stderr).toContain('is not an onboarding ID');
  });

  it('exits 3 when the API cannot be reached', async () => {
    const closedPort = await freePort();
    const { code, stderr } = await cli(['status'], { API_URL: `http://127.0.0.1:${closedPort}` });
    expect(code).toBe(3);
    expect(stderr).toMatch(/^cannot reach the support API at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\n$/);
  });

  it('exits 1 with the reason when the API refuses, e.g. a wrong token', async () => {
    const { code, stderr } = await cli(['status'], { SUPPORT_API_TOKEN: 'not-the-token' });
    expect(code).toBe(1);
    expect(stderr).toBe('unauthorized: the support token is not valid\n');
  });

  it('exits 1 with not_found for an unknown onboarding', async () => {
    const { code, stderr } = await cli(['status', 'ob_000000000000000000000000']);
    expect(code).toBe(1);
    expect(stderr).toBe('not_found: onboarding ob_000000000000000000000000 not found\n');
  });
});

describe('an onboarding driven from the CLI', () => {
  let id: string;
  const seenLinks = new Set<string>();

  it('start creates an onboarding with the options given', async () => {
    const { code, stdout } = await cli([
      'start',
      '--customer',
      'CLI Corp',
      '--admin',
      adminEmail,
      '--domain',
      domain,
      '--reminder-every',
      'PT1H',
      '--approval-timeout',
      'P2D',
      '--batch-size',
      '1',
      '--no-notify',
    ]);
    expect(code).toBe(0);
    id = startedId(stdout);
    const [row] = await database.db.select().from(onboardings).where(eq(onboardings.id, id));
    expect(row?.options).toEqual({ reminderEveryMs: 3_600_000, approvalTimeoutMs: 172_800_000, notifyUsers: false, batchSize: 1 });
    expect(row?.emailDomains).toEqual([domain]);
  });

  it('status lists onboardings as a table', async () => {
    const { code, stdout } = await cli(['status']);
    expect(code).toBe(0);
    const [header, ...rows] = stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+STAGE\s+CUSTOMER\s+ADMIN\s+DOMAINS\s+UPDATED$/);
    const row = rows.find((r) => r.startsWith(id));
    expect(row).toMatch(new RegExp(`^${id}\\s+config_intake\\s+CLI Corp\\s+${adminEmail}\\s+${domain}\\s`));
  });

  it('status ID shows the stage, what it waits for, and the empty pilot and progress', async () => {
    const { code, stdout } = await cli(['status', id]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^stage\s+config_intake$/m);
    // The connection exists from the start, SP side only, so its SP details can go to the customer at once.
    expect(stdout).toMatch(/^connection\s+conn_[0-9a-f]{24} \(pending: waiting for the IdP configuration\)$/m);
    expect(stdout).toMatch(/^\s+ACS URL\s+http\S+\/acs$/m);
    expect(stdout).toMatch(/^pilot\s+no pilot users yet$/m);
    expect(stdout).toMatch(/^progress\s+enabled\s+\[-+\]\s+0% 0\/0$/m);
    expect(stdout).toMatch(/^pending approvals\s+none$/m);
  });

  it('status ID --json prints the API answer', async () => {
    const { code, stdout } = await cli(['status', id, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ id, stage: 'config_intake', customerName: 'CLI Corp' });
  });

  it('idp-config with a missing file is a usage error', async () => {
    const { code, stderr } = await cli(['idp-config', id, join(dir, 'missing.xml')]);
    expect(code).toBe(2);
    expect(stderr).toContain('ENOENT');
  });

  it('idp-config refuses a broken metadata document with exit 1 and every problem on one line', async () => {
    const file = join(dir, 'broken.xml');
    await writeFile(file, '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.test"/>');
    const { code, stderr } = await cli(['idp-config', id, file]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^invalid_idp_config: the IdP configuration has \d+ problems?: .+\n$/);
  });

  it('idp-config sends a metadata file as application/samlmetadata+xml and prints the SP details', async () => {
    const file = join(dir, 'idp-metadata.xml');
    await writeFile(file, idp.metadataXml);
    const { code, stdout } = await cli(['idp-config', id, file]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^IdP configuration accepted: connection \S+/);
    expect(stdout).toMatch(new RegExp(`ACS URL\\s+${env.baseUrl}/saml/\\S+/acs`));
    await env.waitForStage(id, 'pilot');
  });

  it('refuses a second IdP configuration once past config_intake, with exit 1 and the reason', async () => {
    const { code, stderr } = await cli(['idp-config', id, join(dir, 'idp-metadata.xml')]);
    expect(code).toBe(1);
    expect(stderr).toBe('wrong_stage: IdP configuration is not possible in stage pilot (needs config_intake)\n');
  });

  it('verify-domains says what DNS answered, exit 1 while a domain is not verified', async () => {
    const { code, stdout } = await cli(['verify-domains', id]);
    expect(code).toBe(1);
    expect(stdout).toContain(`${domain}: the DNS lookup of _sso-onboarding.${domain} failed`);
    expect(stdout).toContain('Not every domain is verified yet.');
    const status = await cli(['status', id]);
    expect(status.stdout).toMatch(
      new RegExp(`^domains\\s+${domain.replaceAll('.', '\\.')}  not verified: publish TXT _sso-onboarding\\.`, 'm'),
    );
  });

  it('pilot is refused until the domain is verified; override-domain needs a reason and verifies it', async () => {
    const early = await cli(['pilot', id, people[0]?.email as string]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/^domain_unverified: /);
    const noReason = await cli(['override-domain', id, domain]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason is required');
    const { code, stdout } = await cli(['override-domain', id, domain, '--reason', 'checked with the customer by phone']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${domain}: verified (support)\n`);
  });

  it('pilot nominates users and names the emails that are not users', async () => {
    const { code, stdout } = await cli(['pilot', id, people[0]?.email as string, `ghost@${domain}`]);
    expect(code).toBe(0);
    expect(stdout).toContain(`Pilot users enabled for SSO: ${people[0]?.email}`);
    expect(stdout).toContain(`Not users here (skipped): ghost@${domain}`);
  });

  it('remove-pilot needs a reason, then takes the user out of the pilot', async () => {
    const bob = people[1]?.email as string;
    expect((await cli(['pilot', id, bob])).code).toBe(0);
    const [row] = await database.sql<{ sid: string }[]>`select sid from users where email = ${bob}`;
    const noReason = await cli(['remove-pilot', id, row?.sid as string]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason is required');
    const { code, stdout } = await cli(['remove-pilot', id, row?.sid as string, '--reason', 'nominated by mistake']);
    expect(code).toBe(0);
    expect(stdout).toBe(`Pilot users now: ${people[0]?.email}\n`);
  });

  it('resend-link mails the pending pilot link again, and refuses a step with no link waiting', async () => {
    const { code, stdout } = await cli(['resend-link', id, 'pilot', '--reason', 'the first mail was lost']);
    expect(code).toBe(0);
    expect(stdout).toBe('The pilot link is mailed again.\n');
    await env.smtp.waitFor((m) => m.to.includes(adminEmail) && /^Reminder 1: confirm the SSO pilot/.test(m.subject), 20_000);
    const early = await cli(['resend-link', id, 'go_ahead', '--reason', 'too early']);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('no_pending_link');
  });

  it('confirm-pilot and the customer approval move it to the migration list', async () => {
    const { code, stdout } = await cli(['confirm-pilot', id]);
    expect(code).toBe(0);
    expect(stdout).toContain('Support confirmed the pilot.');
    await approve(await approvalLink(/pilot/i, seenLinks));
    await env.waitForStage(id, 'migration_list');
  });

  it('migrate with a usage mistake exits 2', async () => {
    expect((await cli(['migrate', id, 'domain'])).code).toBe(2);
    expect((await cli(['migrate', id, 'everyone', domain])).code).toBe(2);
  });

  it('migrate --draft builds a preview that send-list sends for review', async () => {
    const drafted = await cli(['migrate', id, 'domain', domain, '--draft']);
    expect(drafted.code, drafted.stderr).toBe(0);
    expect(drafted.stdout).toMatch(/^Migration list ml_[0-9a-f]{24} v1 \(draft\): 2 users, 0 flagged, 0 excluded\.$/m);
    const listId = /send-list (ml_[0-9a-f]{24})/.exec(drafted.stdout)?.[1] ?? '';
    expect(listId).not.toBe('');
    const sent = await cli(['send-list', listId]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain(`Migration list ${listId} v1 (ready): 2 users`);
    // Its review link is mailed (and superseded by the next build, below).
    await approvalLink(/migration list/i, seenLinks);
    const twice = await cli(['send-list', listId]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('not_a_draft');
  });

  it('migrate domain builds the list', async () => {
    const { code, stdout } = await cli(['migrate', id, 'domain', domain]);
    expect(code).toBe(0);
    // Version 2: it supersedes the draft sent just before.
    expect(stdout).toMatch(/^Migration list ml_[0-9a-f]{24} v2 \(ready\): 2 users, 0 flagged, 0 excluded\.$/m);
    await env.waitForStage(id, 'list_review');
  });

  it('watch follows the rollout with progress bars on stderr and exits 0 when it completes', async () => {
    const watch = startCli(['watch', id, '--interval', '100']);
    await until(() => watch.stderr().includes(': list_review:'), 'watch to report list_review');
    await approve(await approvalLink(/migration list/i, seenLinks));
    await until(() => watch.stderr().includes(': awaiting_go_ahead:'), 'watch to report awaiting_go_ahead');
    await approve(await approvalLink(/go.ahead|enforce/i, seenLinks));
    const { code, stdout, stderr } = await watch.done;
    expect(code).toBe(0);
    expect(stderr).toMatch(/^enabled\s+\[#{30}\]\s+100% 2\/2$/m);
    expect(stderr).toMatch(/^enforced\s+\[#{30}\]\s+100% 2\/2$/m);
    expect(stderr).toMatch(new RegExp(`^${id} CLI Corp: completed$`, 'm'));
    expect(stdout).toBe(`${id} completed: 2 users enforced, 0 excluded.\n`);
  });
});

describe('cancelling from the CLI', () => {
  it('cancel exits 0 with the reason, a watch of it exits 4, and cancelling again is refused with exit 1', async () => {
    // Its own domain: the completed onboarding above still holds the first one.
    const started = await cli(['start', '--customer', 'Cancel Corp', '--admin', adminEmail, '--domain', `cancel-${domain}`]);
    const id = startedId(started.stdout);
    const watch = startCli(['watch', id, '--interval', '100']);
    await until(() => watch.stderr().includes(': config_intake:'), 'watch to report config_intake');

    expect((await cli(['cancel', id, '--reason', 'x', '--revert-to', 'sometimes'])).code).toBe(2);
    const cancelled = await cli(['cancel', id, '--reason', 'customer changed their mind', '--revert-to', 'none']);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain(`Cancelled ${id}: customer changed their mind`);

    const watched = await watch.done;
    expect(watched.code).toBe(4);
    expect(watched.stderr).toContain(`${id} cancelled: customer changed their mind`);

    const again = await cli(['cancel', id, '--reason', 'twice']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^wrong_stage: onboarding is already cancelled\n$/);
  });
});
