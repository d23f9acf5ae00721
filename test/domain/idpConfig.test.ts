import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxCertificatesPerConnection } from '../../domain/connections.js';
import { validateIdpConfig } from '../../domain/idpConfig/index.js';
import type { FetchMetadata } from '../../domain/idpConfig/metadataFetch.js';
import type { IdpConfigOptions, IdpConfigValidation } from '../../domain/idpConfig/validate.js';
import { type TestCertificate, type TestCurve, testCertificate } from '../support/certs.js';
import { generateSelfSignedCertificate } from '../support/idp/self-signed.js';

const day = 24 * 3600 * 1000;
const now = new Date();
const publicAddress = '93.184.215.14';
const bindingUris = {
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
  artifact: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact',
} as const;

type Binding = keyof typeof bindingUris;
type MetadataCert = string | { base64: string; use: 'signing' | 'encryption' };

/** An md:EntityDescriptor for an IdP; `entityId: null` leaves the attribute out. */
function idpMetadata(options: { entityId?: string | null; ssoUrl?: string; binding?: Binding | Binding[]; certs: MetadataCert[] }): string {
  const entityId = options.entityId === undefined ? 'https://idp.example.com/saml' : options.entityId;
  const ssoUrl = options.ssoUrl ?? 'https://idp.example.com/sso';
  const services = [options.binding ?? 'redirect']
    .flat()
    .map((binding) => `<md:SingleSignOnService Binding="${bindingUris[binding]}" Location="${ssoUrl}"/>`);
  const keys = options.certs.map((cert) => {
    const { base64, use } = typeof cert === 'string' ? { base64: cert, use: undefined } : cert;
    const useAttribute = use ? ` use="${use}"` : '';
    return `<md:KeyDescriptor${useAttribute}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${base64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
  });
  const entityIdAttribute = entityId === null ? '' : ` entityID="${entityId}"`;
  return [
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"${entityIdAttribute}>`,
    '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">',
    ...keys,
    ...services,
    '</md:IDPSSODescriptor>',
    '</md:EntityDescriptor>',
  ].join('\n');
}

function entitiesDescriptor(...entities: string[]): string {
  return `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">\n${entities.join('\n')}\n</md:EntitiesDescriptor>`;
}

function spOnlyMetadata(): string {
  return [
    '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.com">',
    '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">',
    `<md:AssertionConsumerService Binding="${bindingUris.post}" Location="https://sp.example.com/acs" index="0"/>`,
    '</md:SPSSODescriptor>',
    '</md:EntityDescriptor>',
  ].join('\n');
}

/** DNS for tests: the names given, and ENOTFOUND for every other name. */
function resolverFor(names: Record<string, string[]>) {
  return async (host: string) => {
    const addresses = names[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses;
  };
}

const publicDns = resolverFor({ 'idp.example.com': [publicAddress], 'logout.example.com': [publicAddress] });

function optionsWith(overrides: Partial<IdpConfigOptions> = {}): IdpConfigOptions {
  return { allowPrivateAddresses: false, now, resolveHost: publicDns, ...overrides };
}

function problemsOf(result: IdpConfigValidation): { field: string; code: string }[] {
  if (result.ok) throw new Error('expected the configuration to be refused');
  return result.problems.map(({ field, code }) => ({ field, code }));
}

const fieldsSubmission = (certificates: string[]) => ({
  kind: 'fields' as const,
  entityId: 'https://idp.example.com/saml',
  ssoUrl: 'https://idp.example.com/sso',
  ssoBinding: 'redirect' as const,
  certificates,
});

let valid: TestCertificate;
let rotated: TestCertificate;
let weak: TestCertificate;
let expired: TestCertificate;
let notYetValid: TestCertificate;
let expiringSoon: TestCertificate;
let ec: TestCertificate;
let ed25519: TestCertificate;

beforeAll(async () => {
  const [current, next] = await Promise.all([
    generateSelfSignedCertificate({ commonName: 'Example IdP' }),
    generateSelfSignedCertificate({ commonName: 'Example IdP next' }),
  ]);
  valid = { pem: current.certificatePem, base64: current.certificateBase64 };
  rotated = { pem: next.certificatePem, base64: next.certificateBase64 };
  [weak, expired, notYetValid, expiringSoon, ec, ed25519] = await Promise.all([
    testCertificate({ commonName: 'Weak', key: { type: 'rsa', modulusLength: 1024 } }),
    testCertificate({ commonName: 'Expired', notBefore: new Date(now.getTime() - 400 * day), notAfter: new Date(now.getTime() - day) }),
    testCertificate({ commonName: 'Future', notBefore: new Date(now.getTime() + day), notAfter: new Date(now.getTime() + 400 * day) }),
    testCertificate({ commonName: 'Expiring', notAfter: new Date(now.getTime() + 10 * day) }),
    testCertificate({ commonName: 'EC', key: { type: 'ec', namedCurve: 'P-256' } }),
    testCertificate({ commonName: 'Edwards', key: { type: 'ed25519' } }),
  ]);
});

describe('IdP metadata document', () => {
  it('yields the entity ID, the HTTP-Redirect SSO URL and the signing certificate as PEM', async () => {
    const result = await validateIdpConfig({ kind: 'metadata', xml: idpMetadata({ certs: [valid.base64] }) }, optionsWith());
    expect(result).toEqual({
      ok: true,
      config: {
        entityId: 'https://idp.example.com/saml',
        ssoUrl: 'https://idp.example.com/sso',
        ssoBinding: 'redirect',
        certificates: [valid.pem],
        logoutRedirectUrl: null,
        emailAttribute: null,
      },
      warnings: [],
    });
  });

  it('prefers the HTTP-Redirect endpoint when HTTP-POST is listed first', async () => {
    const xml = idpMetadata({ binding: ['post', 'redirect'], certs: [valid.base64] });
    const result = await validateIdpConfig({ kind: 'metadata', xml }, optionsWith());
    expect(result.ok && result.config.ssoBinding).toBe('redirect');
  });

  it('falls back to HTTP-POST when there is no HTTP-Redirect endpoint', async () => {
    const xml = idpMetadata({ binding: ['artifact', 'post'], certs: [valid.base64] });
    const result = await validateIdpConfig({ kind: 'metadata', xml }, optionsWith());
    expect(result.ok && result.config.ssoBinding).toBe('post');
  });

  it('refuses metadata whose SSO endpoints use only other bindings', async () => {
    const xml = idpMetadata({ binding: 'artifact', certs: [valid.base64] });
    const result = await validateIdpConfig({ kind: 'metadata', xml }, optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'ssoBinding', code: 'unsupported_binding' }]);
  });

  it('accepts an EntitiesDescriptor wrapping one identity provider', async () => {
    const xml = entitiesDescriptor(spOnlyMetadata(), idpMetadata({ certs: [valid.base64] }));
    const result = await validateIdpConfig({ kind: 'metadata', xml }, optionsWith());
    expect(result.ok && result.config.entityId).toBe('https://idp.example.com/saml');
  });

  it('refuses an EntitiesDescriptor wrapping two identity providers', async () => {
    const xml = entitiesDescriptor(
      idpMetadata({ entityId: 'https://one.example.com', certs: [valid.base64] }),
      idpMetadata({ entityId: 'https://two.example.com', certs: [valid.base64] }),
    );
    const result = await validateIdpConfig({ kind: 'metadata', xml }, optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'metadata', code: 'multiple_idp_descriptors' }]);
  });

  it('reports an http SSO URL, an expired certificate and a 1024-bit certificate all at once', async () => {
    const xml = idpMetadata({ ssoUrl: 'http://idp.example.com/sso', certs: [valid.base64, expired.base64, weak.base64] });
    const result = await validateIdpConfig({ kind: 'metadata', xml }, optionsWith());
    expect(problemsOf(result)).toEqual([
      { field: 'ssoUrl', code: 'sso_url_not_https' },
      { field: 'certificates[1]', code: 'certificate_expired' },
      { field: 'certificates[2]', code: 'certificate_weak_key' },
    ]);
  });

  it('refuses a document type declaration before parsing', async () => {
    const xml = `<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e "boom">]>\n${idpMetadata({ entityId: '&e;', certs: [valid.base64] })}`;
    const result = await validateIdpConfig({ kind: 'metadata', xml }, optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'metadata', code: 'doctype_forbidden' }]);
  });

  it('refuses XML that is not well-formed', async () => {
    const xml = idpMetadata({ certs: [valid.base64] }).replace('</md:IDPSSODescriptor>', '');
    const result = await validateIdpConfig({ kind: 'metadata', xml }, optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'metadata', code: 'metadata_malformed' }]);
  });

  it('refuses text that is not XML at all', async () => {
    const result = await validateIdpConfig({ kind: 'metadata', xml: 'hello' }, optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'metadata', code: 'metadata_malformed' }]);
  });

  it('refuses metadata without an IDPSSODescriptor', async () => {
    const result = await validateIdpConfig({ kind: 'metadata', xml: spOnlyMetadata() }, optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'metadata', code: 'no_idp_descriptor' }]);
  });

  it('refuses metadata without an entityID', async () => {
    const xml = idpMetadata({ entityId: null, certs: [valid.base64] });
    const result = await validateIdpConfig({ kind: 'metadata', xml }, optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'entityId', code: 'entity_id_missing' }]);
  });

  it('refuses metadata whose only certificate is for encryption', async () => {
    const xml = idpMetadata({ certs: [{ base64: valid.base64, use: 'encryption' }] });
    const result = await validateIdpConfig({ kind: 'metadata', xml }, optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'certificates', code: 'certificate_missing' }]);
  });

  it('keeps every signing certificate, with or without use="signing", so the IdP can rotate', async () => {
    const certs = [{ base64: valid.base64, use: 'signing' as const }, rotated.base64, { base64: ec.base64, use: 'encryption' as const }];
    const result = await validateIdpConfig({ kind: 'metadata', xml: idpMetadata({ certs }) }, optionsWith());
    expect(result.ok && result.config.certificates).toEqual([valid.pem, rotated.pem]);
  });

  it('reads a certificate whose base64 is split across lines', async () => {
    const wrapped = `\n  ${valid.base64.match(/.{1,64}/g)?.join('\n  ')}\n`;
    const result = await validateIdpConfig({ kind: 'metadata', xml: idpMetadata({ certs: [wrapped] }) }, optionsWith());
    expect(result.ok && result.config.certificates).toEqual([valid.pem]);
  });

  it('refuses metadata larger than the limit', async () => {
    const xml = idpMetadata({ certs: [valid.base64] });
    const result = await validateIdpConfig({ kind: 'metadata', xml }, optionsWith({ maxMetadataBytes: 512 }));
    expect(problemsOf(result)).toEqual([{ field: 'metadata', code: 'metadata_too_large' }]);
  });
});

describe('IdP signing certificates', () => {
  it('warns when a certificate expires within 30 days', async () => {
    const result = await validateIdpConfig(fieldsSubmission([expiringSoon.pem]), optionsWith());
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([expect.objectContaining({ field: 'certificates[0]', code: 'certificate_expires_soon' })]);
  });

  it('accepts an EC certificate', async () => {
    const result = await validateIdpConfig(fieldsSubmission([ec.pem]), optionsWith());
    expect(result.ok && result.config.certificates).toEqual([ec.pem]);
  });

  it('refuses a certificate that is not valid yet', async () => {
    const result = await validateIdpConfig(fieldsSubmission([notYetValid.pem]), optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'certificates[0]', code: 'certificate_not_yet_valid' }]);
  });

  it('refuses a key that is neither RSA nor EC', async () => {
    const result = await validateIdpConfig(fieldsSubmission([ed25519.pem]), optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'certificates[0]', code: 'certificate_unsupported_key' }]);
  });

  it('refuses text that is not a certificate', async () => {
    const result = await validateIdpConfig(
      fieldsSubmission(['-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----']),
      optionsWith(),
    );
    expect(problemsOf(result)).toEqual([{ field: 'certificates[0]', code: 'certificate_unparseable' }]);
  });

  it('names the certificate that has the problem', async () => {
    const result = await validateIdpConfig(fieldsSubmission([valid.pem, expired.pem]), optionsWith());
    expect(result.ok ? [] : result.problems).toEqual([
      {
        field: 'certificates[1]',
        code: 'certificate_expired',
        message: expect.stringMatching(/^certificate 2 \(CN=Expired\) expired on /),
      },
    ]);
  });
});

describe('IdP SSO URL', () => {
  const withSsoUrl = (ssoUrl: string) => ({ ...fieldsSubmission([valid.pem]), ssoUrl });

  it('refuses a relative SSO URL', async () => {
    const result = await validateIdpConfig(withSsoUrl('/saml/sso'), optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'ssoUrl', code: 'sso_url_not_absolute' }]);
  });

  it.each([
    ['loopback', '127.0.0.1'],
    ['private 10/8', '10.1.2.3'],
    ['private 172.16/12', '172.20.0.5'],
    ['private 192.168/16', '192.168.1.1'],
    ['link-local (cloud metadata)', '169.254.169.254'],
    ['CGNAT', '100.64.0.1'],
    ['this-network', '0.0.0.0'],
    ['multicast', '224.0.0.1'],
    ['IPv6 loopback', '[::1]'],
    ['IPv6 link-local', '[fe80::1]'],
    ['IPv6 unique-local', '[fd12:3456::1]'],
    ['IPv4-mapped loopback', '[::ffff:127.0.0.1]'],
    ['IPv4-mapped private', '[::ffff:10.0.0.1]'],
  ])('refuses a literal %s address (%s)', async (_kind, host) => {
    const result = await validateIdpConfig(withSsoUrl(`https://${host}/sso`), optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'ssoUrl', code: 'sso_url_private_address' }]);
  });

  it('refuses a public-looking host name that resolves to loopback', async () => {
    const result = await validateIdpConfig(
      withSsoUrl('https://idp.example.com/sso'),
      optionsWith({ resolveHost: resolverFor({ 'idp.example.com': ['127.0.0.1'] }) }),
    );
    expect(problemsOf(result)).toEqual([{ field: 'ssoUrl', code: 'sso_url_private_address' }]);
  });

  it('refuses a host name when any one of its addresses is private', async () => {
    const resolveHost = resolverFor({ 'idp.example.com': [publicAddress, '10.0.0.8'] });
    const result = await validateIdpConfig(withSsoUrl('https://idp.example.com/sso'), optionsWith({ resolveHost }));
    expect(problemsOf(result)).toEqual([{ field: 'ssoUrl', code: 'sso_url_private_address' }]);
  });

  it('accepts loopback and private addresses over http when private addresses are allowed', async () => {
    const result = await validateIdpConfig(withSsoUrl('http://127.0.0.1:8080/sso'), optionsWith({ allowPrivateAddresses: true }));
    expect(result.ok && result.config.ssoUrl).toBe('http://127.0.0.1:8080/sso');
  });

  it('still requires https for a public host when private addresses are allowed', async () => {
    const result = await validateIdpConfig(withSsoUrl('http://idp.example.com/sso'), optionsWith({ allowPrivateAddresses: true }));
    expect(problemsOf(result)).toEqual([{ field: 'ssoUrl', code: 'sso_url_not_https' }]);
  });

  it('reports a host name that does not resolve', async () => {
    const result = await validateIdpConfig(withSsoUrl('https://nowhere.example.com/sso'), optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'ssoUrl', code: 'sso_url_unresolvable' }]);
  });

  it('refuses a logout redirect URL that is not https', async () => {
    const submission = { ...fieldsSubmission([valid.pem]), logoutRedirectUrl: 'http://logout.example.com/bye' };
    const result = await validateIdpConfig(submission, optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'logoutRedirectUrl', code: 'logout_url_invalid' }]);
  });
});

describe('IdP details as fields', () => {
  it('accepts the fields and normalises a bare base64 certificate to PEM', async () => {
    const submission = {
      ...fieldsSubmission([valid.base64]),
      ssoBinding: 'post' as const,
      logoutRedirectUrl: 'https://logout.example.com/bye',
    };
    const result = await validateIdpConfig(submission, optionsWith());
    expect(result).toEqual({
      ok: true,
      config: {
        entityId: 'https://idp.example.com/saml',
        ssoUrl: 'https://idp.example.com/sso',
        ssoBinding: 'post',
        certificates: [valid.pem],
        logoutRedirectUrl: 'https://logout.example.com/bye',
        emailAttribute: null,
      },
      warnings: [],
    });
  });

  it('reports every problem in the fields at once', async () => {
    const result = await validateIdpConfig(
      {
        kind: 'fields',
        entityId: ' ',
        ssoUrl: 'idp.example.com/sso',
        ssoBinding: 'redirect',
        certificates: [],
        logoutRedirectUrl: 'nope',
        emailAttribute: '',
      },
      optionsWith(),
    );
    expect(problemsOf(result)).toEqual([
      { field: 'entityId', code: 'entity_id_missing' },
      { field: 'certificates', code: 'certificate_missing' },
      { field: 'ssoUrl', code: 'sso_url_not_absolute' },
      { field: 'logoutRedirectUrl', code: 'logout_url_invalid' },
      { field: 'emailAttribute', code: 'email_attribute_invalid' },
    ]);
  });

  it('refuses an entity ID longer than 1024 characters', async () => {
    const submission = { ...fieldsSubmission([valid.pem]), entityId: `https://idp.example.com/${'x'.repeat(1024)}` };
    const result = await validateIdpConfig(submission, optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'entityId', code: 'entity_id_too_long' }]);
  });
});

describe('how many certificates a connection may hold', () => {
  let many: TestCertificate[];
  beforeAll(async () => {
    many = await Promise.all(
      Array.from({ length: maxCertificatesPerConnection + 1 }, (_, i) =>
        testCertificate({ commonName: `Many ${i}`, key: { type: 'ec', namedCurve: 'P-256' } }),
      ),
    );
  });

  it('is at most five, e.g. four current and the next', () => {
    expect(maxCertificatesPerConnection).toBe(5);
  });

  it('accepts as many as the cap in metadata', async () => {
    const certs = many.slice(0, maxCertificatesPerConnection).map((c) => c.base64);
    const result = await validateIdpConfig({ kind: 'metadata', xml: idpMetadata({ certs }) }, optionsWith());
    expect(result.ok && result.config.certificates).toHaveLength(maxCertificatesPerConnection);
  });

  it('refuses one more in metadata, with the other problems at once', async () => {
    const xml = idpMetadata({ ssoUrl: 'http://idp.example.com/sso', certs: many.map((c) => c.base64) });
    const result = await validateIdpConfig({ kind: 'metadata', xml }, optionsWith());
    expect(problemsOf(result)).toEqual([
      { field: 'ssoUrl', code: 'sso_url_not_https' },
      { field: 'certificates', code: 'too_many_certificates' },
    ]);
    expect(result.ok ? '' : result.problems[1]?.message).toMatch(/6 signing certificates; at most 5/);
  });

  it('refuses one more in the fields', async () => {
    const result = await validateIdpConfig(fieldsSubmission(many.map((c) => c.pem)), optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'certificates', code: 'too_many_certificates' }]);
  });

  it('counts a certificate listed twice (as PEM and as base64) once', async () => {
    const [first] = many as [TestCertificate];
    const certificates = [...many.slice(0, maxCertificatesPerConnection).map((c) => c.pem), first.base64];
    const result = await validateIdpConfig(fieldsSubmission(certificates), optionsWith());
    expect(result.ok && result.config.certificates).toHaveLength(maxCertificatesPerConnection);
  });

  it('refuses 300 certificates in metadata with one problem, not one per certificate', async () => {
    const certs = await Promise.all(
      Array.from({ length: 300 }, (_, i) => testCertificate({ commonName: `Flood ${i}`, key: { type: 'ec', namedCurve: 'P-256' } })),
    );
    const xml = idpMetadata({ certs: certs.map((c) => c.base64) });
    const result = await validateIdpConfig({ kind: 'metadata', xml }, optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'certificates', code: 'too_many_certificates' }]);
  });
});

describe('EC curves', () => {
  it.each<[string, TestCurve]>([
    ['P-256', 'P-256'],
    ['P-384', 'P-384'],
    ['P-521', 'P-521'],
  ])('accepts an EC certificate on %s', async (_, namedCurve) => {
    const cert = await testCertificate({ commonName: namedCurve, key: { type: 'ec', namedCurve } });
    const result = await validateIdpConfig(fieldsSubmission([cert.pem]), optionsWith());
    expect(result.ok && result.config.certificates).toEqual([cert.pem]);
  });

  it.each<[string, TestCurve]>([
    ['secp256k1 (the Bitcoin curve)', 'secp256k1'],
    ['brainpoolP256r1', 'brainpoolP256r1'],
    ['brainpoolP384r1', 'brainpoolP384r1'],
  ])('refuses an EC certificate on %s, naming the curve', async (_, namedCurve) => {
    const cert = await testCertificate({ commonName: 'Odd curve', key: { type: 'ec', namedCurve } });
    const result = await validateIdpConfig(fieldsSubmission([cert.pem]), optionsWith());
    expect(result.ok ? [] : result.problems).toEqual([
      {
        field: 'certificates[0]',
        code: 'certificate_unsupported_key',
        message: `certificate 1 (CN=Odd curve) has an EC key on the ${namedCurve} curve; P-256, P-384 or P-521 is required`,
      },
    ]);
  });

  it('refuses an Ed25519 certificate', async () => {
    const result = await validateIdpConfig(fieldsSubmission([ed25519.pem]), optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'certificates[0]', code: 'certificate_unsupported_key' }]);
  });
});

describe('email attribute', () => {
  it('keeps a claim URI as the email attribute', async () => {
    const emailAttribute = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
    const result = await validateIdpConfig({ ...fieldsSubmission([valid.pem]), emailAttribute }, optionsWith());
    expect(result.ok && result.config.emailAttribute).toBe(emailAttribute);
  });

  it('refuses an email attribute containing a space', async () => {
    const result = await validateIdpConfig({ ...fieldsSubmission([valid.pem]), emailAttribute: 'e mail' }, optionsWith());
    expect(problemsOf(result)).toEqual([{ field: 'emailAttribute', code: 'email_attribute_invalid' }]);
  });
});

describe('IdP metadata URL', () => {
  const limit = 16 * 1024;
  let server: Server;
  let origin: string;
  let port: number;
  const requested: string[] = [];

  function serve(request: IncomingMessage, response: ServerResponse) {
    requested.push(request.url ?? '');
    switch (request.url) {
      case '/metadata':
        response.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
        return response.end(idpMetadata({ certs: [valid.base64] }));
      case '/moved':
        response.writeHead(302, { location: '/metadata' });
        return response.end();
      case '/loop':
        response.writeHead(302, { location: '/loop' });
        return response.end();
      case '/endless': {
        // No Content-Length and no end: only a limit enforced while reading stops this.
        response.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
        const chunk = Buffer.alloc(1024, ' ');
        const pump = () => {
          while (!response.destroyed) if (!response.write(chunk)) return;
        };
        response.on('drain', pump);
        response.on('error', () => {});
        return pump();
      }
      case '/silent':
        return;
      default:
        response.writeHead(404);
        return response.end();
    }
  }

  beforeAll(async () => {
    server = createServer(serve);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    origin = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const local = (overrides: Partial<IdpConfigOptions> = {}) =>
    optionsWith({ allowPrivateAddresses: true, maxMetadataBytes: limit, ...overrides });

  it('fetches the metadata from the URL and validates it', async () => {
    const result = await validateIdpConfig({ kind: 'metadataUrl', url: `${origin}/metadata` }, local());
    expect(result.ok && result.config).toEqual(
      expect.objectContaining({ entityId: 'https://idp.example.com/saml', certificates: [valid.pem] }),
    );
  });

  it('connects to the address it checked rather than asking DNS again', async () => {
    // `.test` never resolves in real DNS, so the fetch can only succeed on the checked address.
    const resolveHost = resolverFor({ 'idp.test': ['127.0.0.1'], 'idp.example.com': [publicAddress] });
    const result = await validateIdpConfig({ kind: 'metadataUrl', url: `http://idp.test:${port}/metadata` }, local({ resolveHost }));
    expect(result.ok).toBe(true);
  });

  it('follows a redirect', async () => {
    const result = await validateIdpConfig({ kind: 'metadataUrl', url: `${origin}/moved` }, local());
    expect(result.ok).toBe(true);
  });

  it('gives up after three redirects', async () => {
    const result = await validateIdpConfig({ kind: 'metadataUrl', url: `${origin}/loop` }, local());
    expect(problemsOf(result)).toEqual([{ field: 'metadataUrl', code: 'metadata_fetch_failed' }]);
  });

  it('stops reading a body larger than the limit while it streams', async () => {
    const result = await validateIdpConfig({ kind: 'metadataUrl', url: `${origin}/endless` }, local({ fetchTimeoutMs: 5_000 }));
    expect(problemsOf(result)).toEqual([{ field: 'metadataUrl', code: 'metadata_too_large' }]);
  });

  it('times out when the server never answers', async () => {
    const result = await validateIdpConfig({ kind: 'metadataUrl', url: `${origin}/silent` }, local({ fetchTimeoutMs: 200 }));
    expect(problemsOf(result)).toEqual([{ field: 'metadataUrl', code: 'metadata_timeout' }]);
  });

  it('reports a URL that answers 404', async () => {
    const result = await validateIdpConfig({ kind: 'metadataUrl', url: `${origin}/nothing-here` }, local());
    expect(result.ok ? [] : result.problems).toEqual([
      { field: 'metadataUrl', code: 'metadata_fetch_failed', message: expect.stringContaining('404') },
    ]);
  });

  it('refuses a host name resolving to loopback without connecting when private addresses are not allowed', async () => {
    const resolveHost = resolverFor({ 'metadata.example.com': ['127.0.0.1'] });
    const before = requested.length;
    const result = await validateIdpConfig(
      { kind: 'metadataUrl', url: `https://metadata.example.com:${port}/metadata` },
      optionsWith({ resolveHost, maxMetadataBytes: limit }),
    );
    expect(problemsOf(result)).toEqual([{ field: 'metadataUrl', code: 'metadata_url_private_address' }]);
    expect(requested.length).toBe(before);
  });

  it('refuses a redirect to a host name resolving to loopback when private addresses are not allowed', async () => {
    const fetched: string[] = [];
    const fetchMetadata: FetchMetadata = async ({ url }) => {
      fetched.push(url.href);
      return { status: 302, location: 'https://internal.example.com/metadata', body: '', tooLarge: false };
    };
    const resolveHost = resolverFor({ 'idp.example.com': [publicAddress], 'internal.example.com': ['127.0.0.1'] });
    const result = await validateIdpConfig(
      { kind: 'metadataUrl', url: 'https://idp.example.com/metadata' },
      optionsWith({ resolveHost, fetchMetadata }),
    );
    expect(problemsOf(result)).toEqual([{ field: 'metadataUrl', code: 'metadata_url_private_address' }]);
    expect(fetched).toEqual(['https://idp.example.com/metadata']);
  });
});
