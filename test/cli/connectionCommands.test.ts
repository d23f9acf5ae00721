// The CLI's live-connection commands and idp-config's fields mode (issue #13, item 4), run as support runs
// them: in their own process, against the API and worker on the run's PostgreSQL and Temporal.
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../support/idp/self-signed.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';

const { database, env } = useOnboardingEnv();
const domain = `cli-conn-${randomBytes(4).toString('hex')}.test`;
let dir: string;
let oldKey: SelfSignedCertificate;
let newKey: SelfSignedCertificate;
let oldFile: string;
let newFile: string;
let onboardingId: string;
let connectionId: string;

const cli = (args: string[]) => runCli(env.baseUrl, args);

interface Detail {
  status: string;
  idp: { entityId: string; ssoUrl: string; ssoBinding: string; certificates: { fingerprintSha256: string; state: string }[] };
}
const connection = async () => (await env.api<Detail>('GET', `/api/connections/${connectionId}`)).body;
const fingerprintOf = (key: SelfSignedCertificate) =>
  new X509Certificate(key.certificatePem).fingerprint256.replaceAll(':', '').toLowerCase();
const auditReasons = async (type: string) =>
  (
    await database.sql<{ detail: { reason: string } }[]>`
      select detail from audit_events where connection_id = ${connectionId} and type = ${type} order by id`
  ).map((row) => row.detail.reason);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-connection-'));
  oldKey = await generateSelfSignedCertificate({ commonName: `old.idp.${domain}` });
  newKey = await generateSelfSignedCertificate({ commonName: `new.idp.${domain}` });
  oldFile = join(dir, 'old.pem');
  newFile = join(dir, 'new.pem');
  await writeFile(oldFile, oldKey.certificatePem);
  await writeFile(newFile, newKey.certificatePem);
  const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
    customerName: 'Connection CLI Ltd',
    adminEmail: `admin@${domain}`,
    emailDomains: [domain],
  });
  expect(started.status).toBe(201);
  onboardingId = started.body.id;
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('idp-config in fields mode', () => {
  it('refuses a metadata source and fields together with the usage (exit 2)', async () => {
    const { code, stderr } = await cli(['idp-config', onboardingId, 'metadata.xml', '--entity-id', 'https://idp.example.test']);
    expect(code).toBe(2);
    expect(stderr).toContain('not both');
    expect(stderr).toContain('usage: npm run cli -- idp-config ID FILE|URL');
  });

  it('submits the IdP details field by field, the certificate read from a file', async () => {
    const { code, stdout, stderr } = await cli([
      'idp-config',
      onboardingId,
      '--entity-id',
      `https://idp.${domain}/metadata`,
      '--sso-url',
      'https://127.0.0.1/sso',
      '--binding',
      'post',
      '--certificate',
      oldFile,
      '--json',
    ]);
    expect(code, stderr).toBe(0);
    connectionId = (JSON.parse(stdout) as { connection: { id: string } }).connection.id;
    const detail = await connection();
    expect(detail.idp).toMatchObject({ entityId: `https://idp.${domain}/metadata`, ssoUrl: 'https://127.0.0.1/sso', ssoBinding: 'post' });
    expect(detail.idp.certificates.map((c) => c.fingerprintSha256)).toEqual([fingerprintOf(oldKey)]);
  });
});

describe('connection commands', () => {
  it('shows the IdP side with each certificate’s fingerprint, subject and state', async () => {
    const { code, stdout } = await cli(['connection', connectionId]);
    expect(code).toBe(0);
    expect(stdout).toContain(`entity ID     https://idp.${domain}/metadata`);
    expect(stdout).toContain(`current  ${fingerprintOf(oldKey)}`);
    expect(stdout).toContain(`old.idp.${domain}`);
  });

  it('exits 2 with the usage for a malformed fingerprint, before asking the API', async () => {
    const { code, stderr } = await cli(['certificate-remove', connectionId, 'not-a-fingerprint', '--reason', 'rotation']);
    expect(code).toBe(2);
    expect(stderr).toContain('FINGERPRINT is the SHA-256 fingerprint');
    expect(stderr).toContain('usage: npm run cli -- certificate-remove ID FINGERPRINT --reason TEXT');
  });

  it('exits 2 for an edit that changes nothing or has no reason', async () => {
    expect((await cli(['connection-edit', connectionId, '--reason', 'nothing'])).code).toBe(2);
    const noReason = await cli(['connection-edit', connectionId, '--sso-url', 'https://127.0.0.1/new']);
    expect([noReason.code, noReason.stderr.includes('--reason is required')]).toEqual([2, true]);
  });

  it('exits 1 naming every problem of an edit the API refuses, and changes nothing', async () => {
    const { code, stderr } = await cli([
      'connection-edit',
      connectionId,
      '--sso-url',
      'ftp://idp.example.test/sso',
      '--email-attribute',
      'e mail',
      '--reason',
      'IdP moved',
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^invalid_idp_config: the IdP configuration has 2 problems/);
    expect((await connection()).idp.ssoUrl).toBe('https://127.0.0.1/sso');
  });

  it('edits the SSO URL and binding, audited with the reason', async () => {
    const { code, stdout } = await cli([
      'connection-edit',
      connectionId,
      '--sso-url',
      'https://127.0.0.1/new-sso',
      '--binding',
      'redirect',
      '--reason',
      'IdP moved host',
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('SSO URL       https://127.0.0.1/new-sso (redirect)');
    expect((await connection()).idp).toMatchObject({ ssoUrl: 'https://127.0.0.1/new-sso', ssoBinding: 'redirect' });
    expect(await auditReasons('connection.updated')).toEqual(['IdP moved host']);
  });

  it('rotates a certificate: adds the new one, retires the old one, and never the last current one (exit 1, last_certificate)', async () => {
    const added = await cli(['certificate-add', connectionId, newFile, '--reason', 'yearly rotation']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain(fingerprintOf(newKey));
    expect((await connection()).idp.certificates.filter((c) => c.state === 'current')).toHaveLength(2);

    // As openssl prints it: capitals and colons.
    const printed = fingerprintOf(oldKey).toUpperCase().match(/../g)?.join(':') ?? '';
    const removed = await cli(['certificate-remove', connectionId, printed, '--reason', 'IdP signs with the new key']);
    expect(removed.code, removed.stderr).toBe(0);
    const states = Object.fromEntries((await connection()).idp.certificates.map((c) => [c.fingerprintSha256, c.state]));
    expect(states).toEqual({ [fingerprintOf(oldKey)]: 'retired', [fingerprintOf(newKey)]: 'current' });

    const last = await cli(['certificate-remove', connectionId, fingerprintOf(newKey), '--reason', 'oops']);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/^last_certificate: /);
    expect(await auditReasons('connection.certificate_added')).toEqual(['yearly rotation']);
    expect(await auditReasons('connection.certificate_removed')).toEqual(['IdP signs with the new key']);
  });

  it('disables and enables the connection, each audited with its reason', async () => {
    const disabled = await cli(['connection-disable', connectionId, '--reason', 'customer offboarded']);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(disabled.stdout).toContain(`Connection ${connectionId} disabled.`);
    expect((await connection()).status).toBe('disabled');

    const enabled = await cli(['connection-enable', connectionId, '--reason', 'customer is back', '--json']);
    expect(enabled.code, enabled.stderr).toBe(0);
    // Its domain is not verified, so it is pending again, not active.
    expect(JSON.parse(enabled.stdout)).toMatchObject({ id: connectionId, status: 'pending' });
    expect(await auditReasons('connection.disabled')).toEqual(['customer offboarded']);
    expect(await auditReasons('connection.enabled')).toEqual(['customer is back']);
  });

  it('exits 1 with not_found for a connection that does not exist', async () => {
    const { code, stderr } = await cli(['connection', 'conn_000000000000000000000000']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^not_found: /);
  });
});
