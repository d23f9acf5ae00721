// The CLI's user and audit commands (issue #13, item 4), run as support runs them: in their own process,
// against the API on the run's PostgreSQL. Usage errors exit 2 before any API call; refusals exit 1.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../domain/directory.js';
import { runCli, startCli } from '../support/cli.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { pollUntil } from '../support/poll.js';

const { database, env } = useOnboardingEnv();
const email = `kate-${randomBytes(4).toString('hex')}@cli-users.test`;
let sid: string;

const cli = (args: string[]) => runCli(env.baseUrl, args);

beforeAll(async () => {
  ({ sid } = await createUser(database.db, { email, password: 'kate-password-1' }));
});

describe('user, set-sso and audit', () => {
  it('looks a user up by email, case-insensitively, and by SID', async () => {
    const byEmail = await cli(['user', email.toUpperCase()]);
    expect(byEmail.code, byEmail.stderr).toBe(0);
    expect(byEmail.stdout).toContain(`${email} (${sid})`);
    expect(byEmail.stdout).toMatch(/SSO state\s+none/);
    expect(byEmail.stdout).toMatch(/Live sessions\s+0/);
    const bySid = await cli(['user', sid, '--json']);
    expect(JSON.parse(bySid.stdout).items[0]).toMatchObject({ sid, email, ssoState: 'none', lastSsoLoginAt: null });
  });

  it('exits 1 for a user not on file', async () => {
    const { code, stdout } = await cli(['user', `nobody-${randomBytes(3).toString('hex')}@cli-users.test`]);
    expect(code).toBe(1);
    expect(stdout).toContain('No user');
  });

  it('exits 2 for set-sso without a reason, with a bad state or a bad SID, before asking the API', async () => {
    const noReason = await cli(['set-sso', sid, 'none']);
    expect([noReason.code, noReason.stderr.includes('--reason is required')]).toEqual([2, true]);
    expect((await cli(['set-sso', sid, 'sometimes', '--reason', 'x'])).code).toBe(2);
    expect((await cli(['set-sso', '../etc', 'none', '--reason', 'x'])).code).toBe(2);
  });

  it('exits 1 with the API’s code when the change is refused, and changes nothing', async () => {
    const { code, stderr } = await cli(['set-sso', sid, 'enabled', '--reason', 'IdP outage']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^connection_required:/);
    const [row] = await database.sql<{ sso_state: string }[]>`select sso_state from users where sid = ${sid}`;
    expect(row?.sso_state).toBe('none');
  });

  it('changes the state with its reason, and the audit tail shows who and why', async () => {
    const changed = await cli(['set-sso', sid, 'none', '--reason', 'break-glass, ticket 88']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toContain(`${email} (${sid}) is now none.`);
    const tail = await cli(['audit', '--user', sid, '--type', 'user.sso_state_changed']);
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stdout).toContain('user.sso_state_changed');
    expect(tail.stdout).toContain('"break-glass, ticket 88"');
    expect(tail.stdout).toContain(sid);
  });

  it('exits 1 naming the parameter the audit log refuses', async () => {
    const { code, stderr } = await cli(['audit', '--limit', '0']);
    expect(code).toBe(1);
    expect(stderr).toContain('limit');
  });

  it('follows the audit log: new events as they come, each once, oldest first, until interrupted', async () => {
    const follower = startCli(env.baseUrl, ['audit', '--follow', '--interval', '100', '--user', sid, '--type', 'user.sso_state_changed']);
    // The tail starts with the events already there (the change of the test before).
    await pollUntil('the first page', async () => (follower.stdout().includes('break-glass, ticket 88') ? true : undefined), {
      timeoutMs: 20_000,
    });
    for (const reason of ['follow one', 'follow two']) {
      const changed = await cli(['set-sso', sid, 'none', '--reason', reason]);
      expect(changed.code, changed.stderr).toBe(0);
    }
    await pollUntil('both new events', async () => (follower.stdout().includes('"follow two"') ? true : undefined), {
      timeoutMs: 20_000,
    });
    // Another CLI run takes a second or more: many polls at 100 ms, and still nothing is printed twice.
    const printed = follower.stdout();
    await pollUntil('another CLI run', async () => ((await cli(['user', sid])).code === 0 ? true : undefined), { timeoutMs: 5_000 });
    follower.signal('SIGINT');
    const { code, stdout, stderr } = await follower.exited;
    expect(code, stderr).toBe(0);
    expect(stdout.startsWith(printed)).toBe(true);
    const lines = stdout.trim().split('\n');
    expect(lines.filter((l) => l.includes('"follow one"'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('"follow two"'))).toHaveLength(1);
    expect(lines.findIndex((l) => l.includes('"follow one"'))).toBeLessThan(lines.findIndex((l) => l.includes('"follow two"')));
    expect(lines.findIndex((l) => l.includes('ticket 88'))).toBeLessThan(lines.findIndex((l) => l.includes('"follow one"')));
  });

  it('exits 2 for --follow with --to, or --interval without --follow', async () => {
    expect((await cli(['audit', '--follow', '--to', '2026-12-01'])).code).toBe(2);
    expect((await cli(['audit', '--interval', '100'])).code).toBe(2);
  });

  it('setup-link issues a new setup link and prints it; the old one stops working', async () => {
    const domain = `cli-setup-${randomBytes(4).toString('hex')}.test`;
    const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
      customerName: `CLI setup ${domain}`,
      adminEmail: `admin@${domain}`,
      emailDomains: [domain],
      options: { notifyUsers: false },
    });
    const old = (await env.api<{ setupUrl: string }>('GET', `/api/onboardings/${started.body.id}`)).body.setupUrl;
    expect((await cli(['setup-link', started.body.id])).code).toBe(2);
    const { code, stdout, stderr } = await cli(['setup-link', started.body.id, '--reason', 'the mail went to spam']);
    expect(code, stderr).toBe(0);
    const printed = stdout.split('\n')[0] as string;
    expect(printed).toMatch(/\/setup\/setup_[0-9a-f]{32}\./);
    expect(printed).not.toBe(old);
    expect((await fetch(old)).status).toBe(410);
    expect((await fetch(printed)).status).toBe(200);
  });
});
