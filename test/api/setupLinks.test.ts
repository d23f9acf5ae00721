// SP details first and the customer's setup page (issue #14, items 1 and 3): the connection exists from the
// onboarding's start (pending, SP side only), the first mail carries its SP details and the setup link, and
// the link opens a page where the administrator gives the IdP details themselves (a metadata file with
// Entra's byte-order mark, a URL or fields), every problem at once. The link is a capability: junk, a
// tampered or a revoked one opens nothing, and it stops working once the connection is active.
import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { supportToken } from '../support/deps.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../support/idp/self-signed.js';
import { useOnboardingEnv } from '../support/onboarding-env.js';
import { overrideDomains } from '../support/onboarding-http.js';
import { extractLinks } from '../support/smtp.js';

const { database, env } = useOnboardingEnv();
let key: SelfSignedCertificate;
const tenant = randomUUID();
const entraEntityId = `https://sts.windows.net/${tenant}/`;

beforeAll(async () => {
  key = await generateSelfSignedCertificate({ commonName: 'Microsoft Azure Federated SSO Certificate' });
});

/** Entra's federation metadata as it downloads it: a UTF-8 byte-order mark first. */
const entraMetadata = () =>
  `\uFEFF<?xml version="1.0" encoding="utf-8"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entraEntityId}"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${key.certificateBase64}</X509Certificate></X509Data></KeyInfo></KeyDescriptor><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://localhost/${tenant}/saml2"/></IDPSSODescriptor></EntityDescriptor>`;

interface Started {
  id: string;
  stage: string;
  connection: { id: string; spEntityId: string; acsUrl: string; metadataUrl: string; status: string };
}

async function start(domain = `setup-${randomBytes(4).toString('hex')}.test`) {
  const adminEmail = `it-admin@${domain}`;
  const started = await env.api<Started>('POST', '/api/onboardings', {
    customerName: `Setup ${domain}`,
    adminEmail,
    emailDomains: [domain],
    options: { notifyUsers: false },
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return { ...started.body, domain, adminEmail };
}

const page = async (url: string, init: RequestInit = {}) => {
  const res = await fetch(url, { redirect: 'manual', ...init });
  return { status: res.status, text: await res.text(), location: res.headers.get('location') };
};
const sameOrigin = () => ({ origin: new URL(env.baseUrl).origin });

describe('SP details first', () => {
  it('makes the connection at the start, pending, with SP details that work before the IdP side exists', async () => {
    const started = await start();
    const { connection } = started;
    expect(connection).toMatchObject({
      status: 'pending',
      spEntityId: `${env.baseUrl}/saml/${connection.id}/metadata`,
      acsUrl: `${env.baseUrl}/saml/${connection.id}/acs`,
    });
    // The SP metadata an IdP imports is there from the start.
    const metadata = await page(connection.metadataUrl);
    expect(metadata.status).toBe(200);
    expect(metadata.text).toContain(`entityID="${connection.spEntityId}"`);
    expect(metadata.text).toContain(`Location="${connection.acsUrl}"`);
    // Nobody can sign in through it yet, and it says why.
    const login = await fetch(`${env.baseUrl}/saml/${connection.id}/login`, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
    });
    expect(login.status).toBe(409);
    expect(((await login.json()) as { error: { code: string } }).error.code).toBe('connection_pending');
    const view = await env.api<{ status: string; idp: { entityId: string | null; vendor: string | null } }>(
      'GET',
      `/api/connections/${connection.id}`,
    );
    expect(view.body).toMatchObject({ status: 'pending', idp: { entityId: null, vendor: null } });
    const onboarding = await env.api<{ connection: { id: string; status: string }; setupUrl: string | null }>(
      'GET',
      `/api/onboardings/${started.id}`,
    );
    expect(onboarding.body.connection).toMatchObject({ id: connection.id, status: 'pending' });
    expect(onboarding.body.setupUrl).toMatch(new RegExp(`^${env.baseUrl}/setup/setup_[0-9a-f]{32}\\.[A-Za-z0-9_-]{43}$`));
  });

  it('mails the administrator the SP details and the setup link first', async () => {
    const started = await start();
    const mail = await env.smtp.waitFor((m) => m.to.includes(started.adminEmail), 30_000);
    expect(mail.text).toContain(started.connection.spEntityId);
    expect(mail.text).toContain(started.connection.acsUrl);
    const onboarding = await env.api<{ setupUrl: string }>('GET', `/api/onboardings/${started.id}`);
    expect(extractLinks(mail)).toContain(onboarding.body.setupUrl);
    // Still waiting for the IdP's details: the mail did not move the onboarding on.
    expect((await env.api<{ stage: string }>('GET', `/api/onboardings/${started.id}`)).body.stage).toBe('config_intake');
  });
});

describe('the setup page', () => {
  let started: Awaited<ReturnType<typeof start>>;
  let setupUrl: string;

  beforeAll(async () => {
    started = await start();
    setupUrl = (await env.api<{ setupUrl: string }>('GET', `/api/onboardings/${started.id}`)).body.setupUrl;
  });

  it('shows the SP details and a guide for the IdP the administrator picks', async () => {
    const generic = await page(setupUrl);
    expect(generic.status).toBe(200);
    expect(generic.text).toContain(started.connection.spEntityId);
    expect(generic.text).toContain(started.connection.acsUrl);
    expect(generic.text).toContain('data-guide="other"');
    const entra = await page(`${setupUrl}?idp=entra`);
    expect(entra.text).toContain('data-guide="entra"');
    expect(entra.text).toContain('Sign SAML response and assertion');
    expect(entra.text).toContain('Reply URL');
    const adfs = await page(`${setupUrl}?idp=adfs`);
    expect(adfs.text).toContain('MessageAndAssertion');
    // An unknown choice is the generic guide, not an error.
    expect((await page(`${setupUrl}?idp=<script>`)).text).toContain('data-guide="other"');
  });

  it('opens nothing for junk, a tampered link or a path beside it', async () => {
    const [base, mac] = setupUrl.split('.').slice(-2) as [string, string];
    void base;
    const tampered = setupUrl.replace(/.$/, setupUrl.endsWith('A') ? 'B' : 'A');
    for (const url of [
      `${env.baseUrl}/setup/junk`,
      tampered,
      `${env.baseUrl}/setup/setup_${'0'.repeat(32)}.${mac}`,
      `${env.baseUrl}/setup/${'a'.repeat(5000)}`,
    ]) {
      const res = await fetch(url, { headers: { accept: 'application/json' } });
      expect(res.status, url.slice(0, 100)).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('setup_link_invalid');
    }
    expect((await page(`${setupUrl}/admin`)).status).toBe(404);
  });

  it('shows every problem of the fields form beside its field, keeping what was typed', async () => {
    const form = new URLSearchParams({
      mode: 'fields',
      entityId: 'https://idp.example.test/',
      ssoUrl: 'ftp://idp.example.test/sso',
      ssoBinding: 'redirect',
      certificate: 'not a certificate',
    });
    const refused = await page(`${setupUrl}/idp-config`, { method: 'POST', body: form, headers: sameOrigin() });
    expect(refused.status).toBe(422);
    expect(refused.text).toMatch(/id="idp-fields-ssoUrl-error"[^>]*>[^<]*https/);
    expect(refused.text).toContain('id="idp-fields-certificate-error"');
    expect(refused.text).toContain('value="ftp://idp.example.test/sso"');
    // Refused: nothing was saved, the onboarding still waits.
    const [row] = await database.sql<{ idp_entity_id: string | null }[]>`
      select idp_entity_id from sso_connections where id = ${started.connection.id}`;
    expect(row?.idp_entity_id).toBeNull();
  });

  it('refuses a form posted from another site', async () => {
    const form = new URLSearchParams({ mode: 'metadataUrl', metadataUrl: 'https://idp.example.test/metadata' });
    const res = await page(`${setupUrl}/idp-config`, { method: 'POST', body: form, headers: { origin: 'https://evil.test' } });
    expect(res.status).toBe(403);
    expect(res.text).toContain('cross_site_request');
  });

  it('answers JSON with the support endpoint’s answers', async () => {
    const res = await fetch(`${setupUrl}/idp-config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ entityId: '', ssoUrl: 'nope', certificates: [] }),
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; details: { field: string }[] } };
    expect(body.error.code).toBe('invalid_idp_config');
    expect(body.error.details.map((d) => d.field)).toEqual(expect.arrayContaining(['entityId', 'ssoUrl', 'certificates']));
  });

  it('takes Entra’s metadata file, byte-order mark and all, and then names the IdP it found', async () => {
    const body = new FormData();
    body.set('mode', 'metadata');
    body.set('metadataFile', new Blob([entraMetadata()], { type: 'text/xml' }), 'Console.xml');
    const accepted = await page(`${setupUrl}/idp-config`, { method: 'POST', body, headers: sameOrigin() });
    expect(accepted.status, [...accepted.text.matchAll(/field-error[^>]*>([^<]*)/g)].map((m) => m[1]).join(' / ')).toBe(303);
    expect(accepted.location).toMatch(/\?done=idp_config#h-idp$/);
    await env.waitForStage(started.id, 'sp_details_sent').catch(() => undefined);
    const after = await page(`${setupUrl}?done=idp_config`);
    expect(after.status).toBe(200);
    expect(after.text).toContain('we have your IdP’s details');
    expect(after.text).toContain('data-detected="entra"');
    // The detected IdP's guide is the one shown.
    expect(after.text).toContain('data-guide="entra"');
    const [row] = await database.sql<{ idp_entity_id: string }[]>`
      select idp_entity_id from sso_connections where id = ${started.connection.id}`;
    expect(row?.idp_entity_id).toBe(entraEntityId);
    // Same connection, same SP details: the application the customer created stays right.
    const onboarding = await env.api<{ connection: { id: string } }>('GET', `/api/onboardings/${started.id}`);
    expect(onboarding.body.connection.id).toBe(started.connection.id);
  });

  it('stops working once the connection is active', async () => {
    await overrideDomains(env.api, started.id);
    const res = await fetch(setupUrl, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(410);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('setup_complete');
    expect((await env.api<{ setupUrl: string | null }>('GET', `/api/onboardings/${started.id}`)).body.setupUrl).toBeNull();
  });
});

describe('support and the setup link', () => {
  it('issues a new link from the API, with a reason; the old one stops working', async () => {
    const started = await start();
    const old = (await env.api<{ setupUrl: string }>('GET', `/api/onboardings/${started.id}`)).body.setupUrl;
    const noReason = await env.api<{ error: { code: string } }>('POST', `/api/onboardings/${started.id}/setup-link`, {});
    expect(noReason.status).toBe(400);
    const issued = await env.api<{ setupUrl: string; expiresAt: string }>('POST', `/api/onboardings/${started.id}/setup-link`, {
      reason: 'the administrator left; the new one is bob@',
    });
    expect(issued.status).toBe(201);
    expect(issued.body.setupUrl).not.toBe(old);
    const oldAnswer = await fetch(old, { headers: { accept: 'application/json' } });
    expect(oldAnswer.status).toBe(410);
    expect(((await oldAnswer.json()) as { error: { code: string } }).error.code).toBe('setup_link_revoked');
    expect((await page(issued.body.setupUrl)).status).toBe(200);
    expect((await env.api<{ setupUrl: string }>('GET', `/api/onboardings/${started.id}`)).body.setupUrl).toBe(issued.body.setupUrl);
    const [audit] = await database.sql<{ actor: string; reason: string }[]>`
      select actor, detail->>'reason' as reason from audit_events where onboarding_id = ${started.id} and type = 'onboarding.setup_link_issued'`;
    expect(audit).toEqual({ actor: 'support', reason: 'the administrator left; the new one is bob@' });
  });

  it('shows the link on the onboarding’s console page and issues a new one from there', async () => {
    const started = await start();
    const signIn = await fetch(`${env.baseUrl}/support/session`, {
      method: 'POST',
      body: new URLSearchParams({ token: supportToken }),
      headers: { accept: 'text/html', origin: env.baseUrl },
      redirect: 'manual',
    });
    const cookie = (signIn.headers.get('set-cookie') as string).split(';')[0] as string;
    const consolePage = `${env.baseUrl}/support/onboardings/${started.id}`;
    const current = (await env.api<{ setupUrl: string }>('GET', `/api/onboardings/${started.id}`)).body.setupUrl;
    expect((await page(consolePage, { headers: { cookie } })).text).toContain(`<code data-setup-url>${current}</code>`);
    const post = (reason: string) =>
      page(`${consolePage}/setup-link`, {
        method: 'POST',
        body: new URLSearchParams({ reason }),
        headers: { cookie, origin: env.baseUrl },
      });
    const refused = await post('');
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('id="step-setup-link-reason-error"');
    const done = await post('sent to the wrong person');
    expect(done.status).toBe(303);
    const after = await page(`${env.baseUrl}${done.location}`, { headers: { cookie } });
    const renewed = (await env.api<{ setupUrl: string }>('GET', `/api/onboardings/${started.id}`)).body.setupUrl;
    expect(renewed).not.toBe(current);
    expect(after.text).toContain(`<code data-setup-url>${renewed}</code>`);
    expect(after.text).toContain('A new setup link is issued');
  });
});
