// The HTTP-POST binding's auto-posting page (SAML Bindings §3.5.4): the same security headers as every
// page, a Content-Security-Policy that allows only its own script by hash, and it still posts in a browser.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleErrors, launchBrowser, type TestBrowser } from '../support/browser.js';
import { parseForms } from '../support/idp/browserless.js';
import { generateSelfSignedCertificate } from '../support/idp/self-signed.js';
import { createTestConnection, plannedConnection, useApiEnv } from '../support/saml-app.js';

const { database, app } = useApiEnv();
let connection: ReturnType<typeof plannedConnection>;
let idp: { server: Server; ssoUrl: string; posts: URLSearchParams[] };
let browser: TestBrowser;

/** Stands in for the IdP's SSO endpoint: records what the browser posts and answers with a plain page. */
async function startStandInIdp() {
  const posts: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.method === 'POST') posts.push(new URLSearchParams(body));
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>IdP</title><h1>IdP sign-in</h1>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, ssoUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sso`, posts };
}

beforeAll(async () => {
  idp = await startStandInIdp();
  connection = plannedConnection(app.baseUrl);
  const cert = await generateSelfSignedCertificate({ commonName: 'idp.example.test' });
  await createTestConnection(database, {
    id: connection.id,
    idpEntityId: 'https://idp.example.test/metadata',
    ssoUrl: idp.ssoUrl,
    ssoBinding: 'post',
    emailDomains: [],
    certificates: [cert.certificatePem],
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => idp?.server.close(resolve));
});

const loginUrl = (relayState = '/console/reports') =>
  `${app.baseUrl}/saml/${connection.id}/login?RelayState=${encodeURIComponent(relayState)}`;
const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

describe('the HTTP-POST binding page', () => {
  it('carries the security headers every page carries', async () => {
    const res = await fetch(loginUrl());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) expect(csp).toContain(directive);
  });

  it('allows only its own inline script, by hash, and has no inline event handlers', async () => {
    const res = await fetch(loginUrl());
    const page = await res.text();
    const scripts = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1] as string);
    expect(scripts).toHaveLength(1);
    const scriptSrc = /script-src ([^;]*)/.exec(res.headers.get('content-security-policy') ?? '')?.[1];
    expect(scriptSrc).toBe(sha256(scripts[0] as string));
    expect(page).not.toMatch(/\son[a-z]+\s*=/i);
  });

  it('posts the AuthnRequest and the RelayState to the IdP, with a button for browsers without script', async () => {
    const res = await fetch(loginUrl());
    const page = await res.text();
    const [form] = parseForms(page, res.url);
    expect(form).toMatchObject({ action: idp.ssoUrl, method: 'POST' });
    expect(form?.fields.map((field) => field.name).sort()).toEqual(['RelayState', 'SAMLRequest']);
    expect(form?.fields.find((field) => field.name === 'RelayState')?.value).toBe('/console/reports');
    const request = Buffer.from(form?.fields.find((field) => field.name === 'SAMLRequest')?.value ?? '', 'base64').toString('utf8');
    expect(request).toContain('<samlp:AuthnRequest');
    expect(page).toMatch(/<button type="submit">/);
  });

  it('submits itself in a real browser under its Content-Security-Policy', async () => {
    const page = await (await browser.context()).newPage();
    const errors = consoleErrors(page, app.baseUrl);
    const before = idp.posts.length;
    await page.goto(loginUrl('/approvals/abc'));
    await page.waitForURL(idp.ssoUrl);
    expect(await page.locator('h1').textContent()).toBe('IdP sign-in');
    expect(idp.posts).toHaveLength(before + 1);
    const posted = idp.posts.at(-1) as URLSearchParams;
    expect(posted.get('RelayState')).toBe('/approvals/abc');
    expect(Buffer.from(posted.get('SAMLRequest') ?? '', 'base64').toString('utf8')).toContain('<samlp:AuthnRequest');
    expect(errors).toEqual([]);
  });
});
