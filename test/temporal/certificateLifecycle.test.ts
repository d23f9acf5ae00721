import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { certificateWorkflowIdFor } from '../../contract/certificates.js';
import { currentCertificates, findConnection, parseCertificate } from '../../domain/connections.js';
import { testCertificate } from '../support/certs.js';
import { startedForFile } from '../support/fixture.js';
import { recordHistory } from '../support/histories.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { overrideDomains } from '../support/onboarding-http.js';
import { pollUntil } from '../support/poll.js';

// Seconds instead of days: a refresh every second, a two-second grace period, reminders 30, 20 and 10
// minutes before the last certificate expires.
const graceMs = 2_000;
const supportEmail = 'support@lifecycle.test';
const { database, env } = useOnboardingEnv({
  CERT_REFRESH_INTERVAL: 'PT1S',
  CERT_RETIRE_GRACE: 'PT2S',
  CERT_REMINDERS: 'PT30M,PT20M,PT10M',
  SUPPORT_EMAIL: supportEmail,
});

/** An IdP on loopback publishing its metadata at /<name>; what each serves is set by the test. */
const idp = startedForFile(
  'the metadata server',
  async () => {
    const published = new Map<string, { entityId: string; certificates: string[] }>();
    const server = createServer((req, res) => {
      const name = (req.url ?? '').slice(1);
      const entry = published.get(name);
      if (!entry) return res.writeHead(404).end();
      const keys = entry.certificates
        .map(
          (c) =>
            `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
        )
        .join('');
      res
        .writeHead(200, { 'content-type': 'application/samlmetadata+xml' })
        .end(
          `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entry.entityId}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${keys}<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${origin()}/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`,
        );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      origin: origin(),
      publish: (name: string, entityId: string, certificates: string[]) => published.set(name, { entityId, certificates }),
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  },
  (server) => server.close(),
);

interface ConnectionBody {
  idp: { certificates: { fingerprintSha256: string; state: string }[] };
}
interface AuditItem {
  at: string;
  type: string;
  actor: string;
  detail: Record<string, unknown>;
}

const fingerprintOf = (pem: string) => parseCertificate(pem).fingerprintSha256;
const minute = 60_000;

/** An onboarding whose IdP details came by metadata URL; its connection is active (domains verified first). */
async function onboardingWithMetadataUrl(name: string, entityId: string, certificates: string[]) {
  const domain = `${name}-${Math.random().toString(36).slice(2, 8)}.test`;
  idp.publish(domain, entityId, certificates);
  const started = await env.api<{ id: string }>('POST', '/api/onboardings', {
    customerName: `Customer ${domain}`,
    adminEmail: `admin@${domain}`,
    emailDomains: [domain],
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  await overrideDomains(env.api, started.body.id);
  const submitted = await env.api<{ connection: { id: string } }>('POST', `/api/onboardings/${started.body.id}/idp-config`, {
    metadataUrl: `${idp.origin}/${domain}`,
  });
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
  return { onboardingId: started.body.id, connectionId: submitted.body.connection.id, domain, adminEmail: `admin@${domain}` };
}

async function certificateStates(connectionId: string): Promise<Record<string, string>> {
  const res = await env.api<ConnectionBody>('GET', `/api/connections/${connectionId}`);
  expect(res.status).toBe(200);
  return Object.fromEntries(res.body.idp.certificates.map((c) => [c.fingerprintSha256, c.state]));
}

async function untilStates(connectionId: string, expected: Record<string, string>) {
  return await pollUntil(
    `certificates of ${connectionId} reaching ${JSON.stringify(expected)}`,
    async () => {
      const states = await certificateStates(connectionId);
      if (JSON.stringify(states) === JSON.stringify({ ...states, ...expected })) return states;
      throw new Error(`the certificates are ${JSON.stringify(states)}`);
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

async function auditEvents(connectionId: string, type: string): Promise<AuditItem[]> {
  const res = await env.api<{ items: AuditItem[] }>('GET', `/api/audit-events?connectionId=${connectionId}&type=${type}`);
  expect(res.status).toBe(200);
  return res.body.items;
}

describe('the certificate lifecycle of a live connection', () => {
  it('takes a certificate the IdP starts publishing as next (verifying logins at once) and retires the one it drops after the grace period', async () => {
    const old = await testCertificate({ commonName: 'IdP signing 2026' });
    const rotated = await testCertificate({ commonName: 'IdP signing 2027' });
    const entityId = `https://idp.rotation.test/${Math.random().toString(36).slice(2)}`;
    const { connectionId, domain } = await onboardingWithMetadataUrl('rotation', entityId, [old.base64]);
    const [oldFp, newFp] = [fingerprintOf(old.pem), fingerprintOf(rotated.pem)];
    const handle = (await env.client()).workflow.getHandle(certificateWorkflowIdFor(connectionId));
    expect((await handle.describe()).status.name).toBe('RUNNING');

    idp.publish(domain, entityId, [old.base64, rotated.base64]);
    await untilStates(connectionId, { [oldFp]: 'current', [newFp]: 'next' });
    const connection = await findConnection(database.db, connectionId);
    expect(connection && currentCertificates(connection, new Date())).toContain(parseCertificate(rotated.pem).pem);
    const [discovered] = await auditEvents(connectionId, 'connection.certificate_discovered');
    expect(discovered).toMatchObject({ actor: 'system:metadata-refresh', detail: { fingerprintSha256: newFp, state: 'next' } });
    const added = await env.smtp.waitFor(
      (m) => m.to.includes(supportEmail) && m.text.includes(`added as next (verifies sign-ins now): ${newFp}`),
    );
    expect(added.subject).toBe(`Signing certificates of Customer ${domain} changed from their IdP metadata`);

    const droppedAt = Date.now();
    idp.publish(domain, entityId, [rotated.base64]);
    await untilStates(connectionId, { [oldFp]: 'retired', [newFp]: 'current' });
    const [retired] = await auditEvents(connectionId, 'connection.certificate_retired');
    expect(retired).toMatchObject({ actor: 'system:metadata-refresh', detail: { fingerprintSha256: oldFp } });
    expect(new Date(retired?.at ?? 0).getTime() - droppedAt).toBeGreaterThanOrEqual(graceMs);
    const [promoted] = await auditEvents(connectionId, 'connection.certificate_promoted');
    expect(promoted).toMatchObject({ actor: 'system:metadata-refresh', detail: { fingerprintSha256: newFp } });
    const mail = await env.smtp.waitFor(
      (m) => m.to.includes(supportEmail) && m.text.includes(`retired (gone from the metadata for the whole grace period): ${oldFp}`),
    );
    expect(mail.text).toContain(`now current: ${newFp}`);

    await recordHistory(certificateWorkflowIdFor(connectionId), 'certificate-rotation');
  });

  it('reminds the administrator and support once per threshold before the last certificate expires, with their IdP’s steps', async () => {
    // 10 minutes and 20 seconds left: the 30- and 20-minute thresholds are crossed at once (one mail),
    // the 10-minute one 20 seconds later.
    const expiring = await testCertificate({ commonName: 'Okta signing', notAfter: new Date(Date.now() + 10 * minute + 20_000) });
    const entityId = `http://www.okta.com/exk${Math.random().toString(36).slice(2)}`;
    const { connectionId, onboardingId, adminEmail } = await onboardingWithMetadataUrl('reminders', entityId, [expiring.base64]);
    const fp = fingerprintOf(expiring.pem);

    const reminders = (to: string) =>
      env.smtp.messages.filter((m) => m.to.includes(to) && m.text.includes(fp) && /expires in less than a day/.test(m.subject));
    for (const to of [adminEmail, supportEmail]) {
      const first = await env.smtp.waitFor((m) => m.to.includes(to) && m.text.includes(fp));
      expect(first.subject).toBe(
        `Action needed: the SSO signing certificate of Customer ${adminEmail.split('@')[1]} expires in less than a day`,
      );
      expect(first.text).toContain('What to do in Okta:');
      expect(first.text).toContain('Generate new certificate');
    }
    const onboarding = await env.api<{ problems: { code: string; message: string }[] }>('GET', `/api/onboardings/${onboardingId}`);
    expect(onboarding.body.problems).toContainEqual(
      expect.objectContaining({
        code: 'certificate_expires_soon',
        message: expect.stringMatching(/^certificate expires in less than a day/),
      }),
    );

    await pollUntil(
      'the 10-minute reminder',
      async () => {
        if (reminders(adminEmail).length >= 2 && reminders(supportEmail).length >= 2) return true;
        throw new Error(`${reminders(adminEmail).length} reminders to the administrator so far`);
      },
      { timeoutMs: 45_000, intervalMs: 250 },
    );
    const given = await auditEvents(connectionId, 'connection.certificate_expiry_reminder');
    expect(given.map((e) => e.detail.thresholdSeconds).sort()).toEqual([1200, 600]);
    // Rounds go on (every second) without repeating a reminder.
    const afterSecond = new Date();
    await pollUntil(
      'three more rounds',
      async () => {
        const [row] = await database.sql<
          { checked_at: Date | string }[]
        >`select checked_at from metadata_refreshes where connection_id = ${connectionId}`;
        if (row && new Date(row.checked_at).getTime() > afterSecond.getTime() + 3_000) return true;
        throw new Error('not yet');
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(reminders(adminEmail)).toHaveLength(2);
    expect(reminders(supportEmail)).toHaveLength(2);
    expect(await auditEvents(connectionId, 'connection.certificate_expiry_reminder')).toHaveLength(2);
  });

  it('exposes the days left of each active connection’s last certificate in /metrics', async () => {
    const expiring = await testCertificate({ notAfter: new Date(Date.now() + 36 * 3_600_000) });
    const { connectionId } = await onboardingWithMetadataUrl('metrics', `https://idp.metrics.test/${Math.random()}`, [expiring.base64]);
    const text = await (await fetch(`${env.baseUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`sso_connection_certificate_expiry_days{connection="${connectionId}"}`));
    const days = Number(line?.split(' ').at(-1));
    expect(days).toBeGreaterThan(1.4);
    expect(days).toBeLessThanOrEqual(1.5);
  });
});
