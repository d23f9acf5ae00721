// The console's start, IdP details and search forms over plain HTTP: what a browser test cannot easily
// send (a foreign Origin, a body over the limit, a hand-made query) and Temporal being down.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { supportToken } from '../support/deps.js';
import { useApiEnv } from '../support/saml-app.js';

// Temporal does not answer here at all: the forms must say so in the console's own page.
const { database, app } = useApiEnv({
  overrides: {
    temporal: async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:7233');
    },
  },
});
const html = { accept: 'text/html' };
let cookie: string;
const someOnboarding = 'ob_0123456789abcdef01234567';

beforeAll(async () => {
  const res = await fetch(`${app.baseUrl}/support/session`, {
    method: 'POST',
    body: new URLSearchParams({ token: supportToken }),
    headers: { ...html, origin: app.baseUrl },
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  cookie = (res.headers.get('set-cookie') as string).split(';')[0] as string;
});

const postForm = (path: string, fields: Record<string, string>, origin = app.baseUrl) =>
  fetch(`${app.baseUrl}${path}`, {
    method: 'POST',
    body: new URLSearchParams(fields),
    headers: { ...html, cookie, origin },
    redirect: 'manual',
  });

/** The console's chrome: its brand and top bar, not the end users' pages. */
function expectSupportChrome(page: string) {
  expect(page).toContain('<span class="brand">SSO onboarding support</span>');
  expect(page).toContain('href="/support/connections">Connections</a>');
  expect(page).toContain('href="/support">Back to the onboardings</a>');
}

const startFields = (customerName: string) => ({
  customerName,
  adminEmail: 'admin@forms.test',
  emailDomains: `forms-${randomBytes(4).toString('hex')}.test`,
});

describe('the console’s forms refuse what they must', () => {
  it('refuses a start form posted from another site, even with the session cookie, and starts nothing', async () => {
    const customerName = `Cross-site ${randomBytes(4).toString('hex')}`;
    const res = await postForm('/support/onboardings/new', startFields(customerName), 'https://attacker.example');
    expect(res.status).toBe(403);
    const page = await res.text();
    expect(page).toContain('cross_site_request');
    expectSupportChrome(page);
    const rows = await database.sql`select id from onboardings where customer_name = ${customerName}`;
    expect(rows).toHaveLength(0);
  });

  it('refuses IdP details posted from another site', async () => {
    const res = await postForm(
      `/support/onboardings/${someOnboarding}/idp-config`,
      { mode: 'metadataUrl', metadataUrl: 'https://idp.example.com/m' },
      'https://attacker.example',
    );
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('cross_site_request');
  });

  it('answers a metadata document over 1 MB with 413 and a page that says what to do', async () => {
    const res = await postForm(`/support/onboardings/${someOnboarding}/idp-config`, {
      mode: 'metadata',
      metadataXml: `<md:EntityDescriptor>${'x'.repeat(1024 * 1024)}</md:EntityDescriptor>`,
    });
    expect(res.status).toBe(413);
    const page = await res.text();
    expect(page).toContain('That form was too large');
    expect(page).toContain('larger than the 1 MB this endpoint accepts');
    expect(page).toContain('give the metadata URL instead');
    expectSupportChrome(page);
  });

  it('refuses an uploaded metadata file posted from another site', async () => {
    const body = new FormData();
    body.set('mode', 'metadata');
    body.set('metadataFile', new Blob(['<md:EntityDescriptor/>'], { type: 'application/xml' }), 'idp.xml');
    const res = await fetch(`${app.baseUrl}/support/onboardings/${someOnboarding}/idp-config`, {
      method: 'POST',
      body,
      headers: { ...html, cookie, origin: 'https://attacker.example' },
      redirect: 'manual',
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('cross_site_request');
  });

  it('answers an uploaded metadata file over 1 MB with 413 before reading it', async () => {
    const body = new FormData();
    body.set('mode', 'metadata');
    body.set('metadataFile', new Blob([`<x>${'x'.repeat(1024 * 1024)}</x>`], { type: 'application/xml' }), 'idp.xml');
    const res = await fetch(`${app.baseUrl}/support/onboardings/${someOnboarding}/idp-config`, {
      method: 'POST',
      body,
      headers: { ...html, cookie, origin: app.baseUrl },
      redirect: 'manual',
    });
    expect(res.status).toBe(413);
    const page = await res.text();
    expect(page).toContain('That form was too large');
    expectSupportChrome(page);
  });

  it('refuses a multipart form whose parts are cut off with a 400 saying so', async () => {
    const res = await fetch(`${app.baseUrl}/support/onboardings/${someOnboarding}/idp-config`, {
      method: 'POST',
      body: '--b0und\r\nContent-Disposition: form-data; name="mode"\r\n\r\nmetadata',
      headers: { ...html, cookie, origin: app.baseUrl, 'content-type': 'multipart/form-data; boundary=b0und' },
      redirect: 'manual',
    });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('The form could not be read: a part is cut off.');
    expectSupportChrome(page);
  });

  it('shows every problem of a start form inline with a 400, keeping what was typed', async () => {
    const res = await postForm('/support/onboardings/new', {
      customerName: 'Kept Ltd',
      adminEmail: 'not-an-email',
      emailDomains: 'good.test, bad_domain',
      batchSize: 'many',
    });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toMatch(/id="start-adminEmail-error">[^<]*must be an email address/);
    expect(page).toMatch(/id="start-emailDomains-error">[^<]*“bad_domain” must be a domain name/);
    expect(page).toMatch(/id="start-batchSize-error">[^<]*must be a whole number/);
    expect(page).toContain('value="Kept Ltd"');
    expect(page).toContain('good.test, bad_domain</textarea>');
  });

  it('says Temporal is not answering on the console’s page (503), with nothing started', async () => {
    const fields = startFields(`Temporal down ${randomBytes(4).toString('hex')}`);
    const res = await postForm('/support/onboardings/new', fields);
    expect(res.status).toBe(503);
    const page = await res.text();
    expect(page).toContain('data-reason-code>temporal_unavailable');
    expect(page).toContain('Nothing was changed');
    expectSupportChrome(page);
    expect(await database.sql`select id from onboardings where customer_name = ${fields.customerName}`).toHaveLength(0);
  });
});

describe('the dashboard’s search', () => {
  const dashboard = (query: string) => fetch(`${app.baseUrl}/support?${query}`, { headers: { ...html, cookie } });

  it.each([
    ['stage=not_a_stage', 'stage: must be one of config_intake'],
    [`customer=${'a'.repeat(201)}`, 'customer: must be at most 200 characters'],
    ['domain=exa%20mple.com', 'domain: must be (part of) a domain name'],
    ['stage=pilot&stage=completed', 'stage: give it once'],
  ])('refuses %s with a 400 page naming the parameter', async (query, named) => {
    const res = await dashboard(query);
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain(named);
    expectSupportChrome(page);
  });

  it('finds an onboarding by part of its customer name, its domain and its stage, and not by another', async () => {
    const tag = randomBytes(4).toString('hex');
    const id = `ob_${randomBytes(12).toString('hex')}`;
    await database.sql`insert into onboardings (id, workflow_id, customer_name, customer_id, admin_email, email_domains, options)
      values (${id}, ${`onboarding-${id}`}, ${`Searchable 100%_${tag} Ltd`}, ${`searchable-${tag}`}, ${'admin@x.test'}, ${[`find-${tag}.test`]}, ${'{}'})`;
    const rowIn = async (query: string) => (await (await dashboard(query)).text()).includes(`data-onboarding="${id}"`);
    expect(await rowIn(`customer=${encodeURIComponent(`100%_${tag}`)}`)).toBe(true);
    // LIKE's wildcards typed by support match themselves only.
    expect(await rowIn(`customer=${encodeURIComponent(`100__${tag}`)}`)).toBe(false);
    expect(await rowIn(`domain=find-${tag}`)).toBe(true);
    expect(await rowIn(`domain=find-${tag}&stage=config_intake`)).toBe(true);
    expect(await rowIn(`domain=find-${tag}&stage=completed`)).toBe(false);
    expect(await rowIn(`customer=someone-else-${tag}`)).toBe(false);
  });
});
