// RelayState over HTTP: wherever it enters (the SP-initiated login, the ACS post), it leads only to a
// path on this site. The ACS takes the RelayState the IdP echoes back; the login start hands it to the IdP.

import { beforeAll, describe, expect, it } from 'vitest';
import { controlCharacterIn } from '../../lib/text.js';
import { parseForms } from '../support/idp/browserless.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../support/idp/self-signed.js';
import { signedResponse } from '../support/saml/craft.js';
import { createPlannedConnection, type plannedConnection, ssoUser, uniqueDomain, useApiEnv } from '../support/saml-app.js';

const { database, app } = useApiEnv();
const idpEntityId = 'https://idp.example.test/metadata';
const alice = `alice@${uniqueDomain()}`;
let idp: SelfSignedCertificate;
let byPost: ReturnType<typeof plannedConnection>;
let byRedirect: ReturnType<typeof plannedConnection>;

async function connection(ssoBinding: 'post' | 'redirect') {
  return await createPlannedConnection(database, app.baseUrl, { idpEntityId, ssoBinding, certificates: [idp.certificatePem] });
}

beforeAll(async () => {
  idp = await generateSelfSignedCertificate({ commonName: 'idp.example.test' });
  byPost = await connection('post');
  byRedirect = await connection('redirect');
  await ssoUser(database, alice, 'enforced', byPost.id);
});

/** A valid login at the ACS, carrying `relayState` as a browser would post it back from the IdP. */
async function loginWithRelayState(relayState: string): Promise<Response> {
  const samlResponse = await signedResponse({
    destination: byPost.acsUrl,
    audience: byPost.entityId,
    issuer: idpEntityId,
    keyPem: idp.privateKeyPem,
    certPem: idp.certificatePem,
    email: alice,
  });
  return await fetch(byPost.acsUrl, {
    method: 'POST',
    body: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: relayState }),
    redirect: 'manual',
  });
}

const hostile = [
  '/.//evil.example',
  '/..//evil.example',
  '/%2e//evil.example',
  '/%2E%2E//evil.example',
  '/console/..//evil.example',
  '/\\evil.example',
  '/%5cevil.example',
  '/%2f%2fevil.example',
  '/%09/evil.example',
  '/%0a/evil.example',
  '/\t/evil.example',
];

describe('RelayState at the ACS', () => {
  it.each(hostile)('sends %j to /console after the login', async (relayState) => {
    const res = await loginWithRelayState(relayState);
    expect({ status: res.status, location: res.headers.get('location') }).toEqual({ status: 303, location: '/console' });
    expect(res.headers.get('set-cookie')).toMatch(/^sso_session=/);
  });

  it('keeps a local path with its query and fragment', async () => {
    const res = await loginWithRelayState('/console/reports?x=1#y');
    expect({ status: res.status, location: res.headers.get('location') }).toEqual({ status: 303, location: '/console/reports?x=1#y' });
  });
});

describe('RelayState at the SP-initiated login', () => {
  const loginStart = (at: ReturnType<typeof plannedConnection>, relayState: string) =>
    fetch(`${app.baseUrl}/saml/${at.id}/login?RelayState=${encodeURIComponent(relayState)}`, { redirect: 'manual' });

  // A control character in a query string is refused before any route reads it (test/api/controlCharacters.test.ts).
  const inQuery = hostile.filter((relayState) => controlCharacterIn(relayState) === undefined);

  it('refuses a RelayState with a control character in the query string, 400 control_characters', async () => {
    const res = await loginStart(byRedirect, '/\t/evil.example');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('control_characters');
  });

  it.each(inQuery)('hands the IdP /console for %j by HTTP-Redirect', async (relayState) => {
    const res = await loginStart(byRedirect, relayState);
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location') as string).searchParams.get('RelayState')).toBe('/console');
  });

  it.each(inQuery)('hands the IdP /console for %j by HTTP-POST', async (relayState) => {
    const res = await loginStart(byPost, relayState);
    expect(res.status).toBe(200);
    const [form] = parseForms(await res.text(), res.url);
    expect(form?.fields.find((field) => field.name === 'RelayState')?.value).toBe('/console');
  });

  it('hands the IdP a local path unchanged', async () => {
    const res = await loginStart(byRedirect, '/approvals/abc?x=1');
    expect(new URL(res.headers.get('location') as string).searchParams.get('RelayState')).toBe('/approvals/abc?x=1');
  });
});
