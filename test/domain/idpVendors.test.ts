import { describe, expect, it } from 'vitest';
import { type DiagnosisCheck, diagnosisChecks, type IdpVendor, idpVendors } from '../../contract/diagnosis.js';
import {
  detectVendor,
  type FixContext,
  fixFor,
  type SetupGuide,
  setupGuide,
  setupGuideText,
  type VendorEvidence,
} from '../../domain/idpVendors.js';

const sp = {
  entityId: 'https://console.example.com/saml/7c9e6679-7425-40de-944b-e07fc1f90ae7/metadata',
  acsUrl: 'https://console.example.com/saml/7c9e6679-7425-40de-944b-e07fc1f90ae7/acs',
  metadataUrl: 'https://console.example.com/saml/7c9e6679-7425-40de-944b-e07fc1f90ae7/metadata',
};
const context: FixContext = { spEntityId: sp.entityId, acsUrl: sp.acsUrl };
const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';

/** An IdP's md:EntityDescriptor as its console publishes it; `bom` prefixes the byte-order mark Entra's has. */
function idpMetadata(options: { entityId: string; ssoUrl: string; bom?: boolean }): string {
  return `${options.bom ? '\uFEFF' : ''}<?xml version="1.0" encoding="utf-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="_a1" entityID="${options.entityId}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${options.ssoUrl}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

function fieldsOf(guide: SetupGuide) {
  return guide.steps.flatMap((step) => step.fields);
}

describe('detectVendor', () => {
  const byEntityId: [IdpVendor, string][] = [
    ['entra', `https://sts.windows.net/${tenant}/`],
    ['okta', 'http://www.okta.com/exk1a2b3c4D5e6F7g8h9'],
    ['google', 'https://accounts.google.com/o/saml2?idpid=C01abc234'],
    ['adfs', 'http://adfs.contoso.com/adfs/services/trust'],
    ['keycloak', 'https://sso.example.org/realms/acme'],
    ['keycloak', 'https://sso.example.org/auth/realms/acme'],
    ['onelogin', 'https://app.onelogin.com/saml/metadata/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d'],
    ['jumpcloud', 'JumpCloud'],
    ['auth0', 'urn:dev-abc123.us.auth0.com'],
    ['ping', 'https://auth.pingone.com/0a7af83d-4ed9-4510-93cd-506fe835f69a'],
  ];
  it.each(byEntityId)('recognises %s by its entity ID %s', (vendor, entityId) => {
    expect(detectVendor({ entityId })).toBe(vendor);
  });

  it.each(byEntityId)('recognises %s by the Issuer %s of a response', (vendor, issuer) => {
    expect(detectVendor({ issuer })).toBe(vendor);
  });

  const bySsoUrl: [IdpVendor, string][] = [
    ['entra', `https://login.microsoftonline.com/${tenant}/saml2`],
    ['okta', 'https://dev-123456.okta.com/app/dev-123456_console_1/exk1a2b3c4D5e6F7g8h9/sso/saml'],
    ['okta', 'https://acme.oktapreview.com/app/acme_console_1/exk1a2b3c4/sso/saml'],
    ['google', 'https://accounts.google.com/o/saml2/idp?idpid=C01abc234'],
    ['adfs', 'https://adfs.contoso.com/adfs/ls/'],
    ['keycloak', 'https://sso.example.org/realms/acme/protocol/saml'],
    ['onelogin', 'https://acme.onelogin.com/trust/saml2/http-post/sso/1a2b3c4d-5e6f'],
    ['jumpcloud', 'https://sso.jumpcloud.com/saml2/console'],
    ['auth0', 'https://dev-abc123.us.auth0.com/samlp/AbCdEfGh123'],
    ['ping', 'https://auth.pingone.com/0a7af83d-4ed9-4510-93cd-506fe835f69a/saml20/idp/sso'],
    ['ping', 'https://pf.example.com/idp/SSO.saml2'],
  ];
  it.each(bySsoUrl)('recognises %s by its SSO URL %s', (vendor, ssoUrl) => {
    expect(detectVendor({ ssoUrl })).toBe(vendor);
  });

  it.each(byEntityId)('recognises %s from its metadata', (vendor, entityId) => {
    expect(detectVendor({ metadataXml: idpMetadata({ entityId, ssoUrl: 'https://idp.example.net/sso' }) })).toBe(vendor);
  });

  it('reads Entra federation metadata that starts with a byte-order mark', () => {
    const metadataXml = idpMetadata({
      entityId: `https://sts.windows.net/${tenant}/`,
      ssoUrl: `https://login.microsoftonline.com/${tenant}/saml2`,
      bom: true,
    });
    expect(detectVendor({ metadataXml })).toBe('entra');
  });

  it('recognises the vendor by the SSO URL in metadata when the entity ID is a custom value', () => {
    const metadataXml = idpMetadata({ entityId: 'https://idp.acme.test/saml', ssoUrl: 'https://sso.jumpcloud.com/saml2/console' });
    expect(detectVendor({ metadataXml })).toBe('jumpcloud');
  });

  it('prefers the entity ID over the SSO URL', () => {
    expect(detectVendor({ entityId: 'http://www.okta.com/exk1', ssoUrl: 'https://adfs.contoso.com/adfs/ls/' })).toBe('okta');
  });

  it('compares hosts case-insensitively', () => {
    expect(detectVendor({ entityId: `HTTPS://STS.WINDOWS.NET/${tenant}/` })).toBe('entra');
    expect(detectVendor({ ssoUrl: 'https://ACME.Okta.COM/app/x/exk1/sso/saml' })).toBe('okta');
  });

  it.each([
    { ssoUrl: 'https://evil-okta.com/app/x/exk1/sso/saml' },
    { ssoUrl: 'https://okta.com.evil.test/app/x/exk1/sso/saml' },
    { entityId: 'http://www.okta.com.evil.test/exk1' },
    { entityId: `https://sts.windows.net.evil.test/${tenant}/` },
    { entityId: `https://sts.windows.net@evil.test/${tenant}/` },
    { entityId: `https://evil.test/sts.windows.net/${tenant}/` },
    { entityId: `https://evil.test/?next=https://sts.windows.net/${tenant}/` },
    { ssoUrl: `https://login.microsoftonline.com.evil.test/${tenant}/saml2` },
    { entityId: 'https://accounts.google.com.evil.test/o/saml2?idpid=C01' },
    { entityId: 'https://notonelogin.com/saml/metadata/1' },
    { ssoUrl: 'https://sso.jumpcloud.com.evil.test/saml2/console' },
    { entityId: 'urn:evil-auth0.com' },
    { entityId: 'urn:auth0.com.evil.test' },
    { ssoUrl: 'https://auth.pingone.com.evil.test/env/saml20/idp/sso' },
  ] satisfies VendorEvidence[])('refuses the lookalike %o', (evidence) => {
    expect(detectVendor(evidence)).toBe('other');
  });

  it.each([
    {},
    { entityId: null, ssoUrl: null, metadataXml: null, issuer: null },
    { entityId: '', ssoUrl: '   ' },
    { entityId: 'not a url', ssoUrl: '::::' },
    { metadataXml: '<md:EntityDescriptor entityID="' },
    { metadataXml: '<'.repeat(100_000) },
    { metadataXml: `<EntityDescriptor ${'a'.repeat(600_000)}` },
    { entityId: `https://idp.example.com/${'x'.repeat(10_000)}` },
    { entityId: 42, ssoUrl: {}, metadataXml: [], issuer: true },
  ] as unknown as VendorEvidence[])('returns other for junk %#', (evidence) => {
    expect(detectVendor(evidence)).toBe('other');
  });

  it('returns other for no input object at all', () => {
    expect(detectVendor(null as unknown as VendorEvidence)).toBe('other');
  });
});

/** Where each vendor's guide has the IdP sign the Response, in that console's words. */
const responseSigning: Record<IdpVendor, { label: string; value: string }> = {
  okta: { label: 'Response', value: 'Signed' },
  entra: { label: 'Signing Option', value: 'Sign SAML response and assertion' },
  google: { label: 'Signed response', value: 'ticked' },
  adfs: { label: 'Response signature', value: '-SamlResponseSignature MessageAndAssertion' },
  keycloak: { label: 'Sign documents', value: 'ON' },
  onelogin: { label: 'SAML signature element', value: 'Both' },
  jumpcloud: { label: 'Sign', value: 'Response' },
  auth0: { label: 'Settings', value: '"signResponse": true' },
  ping: { label: 'Signature Policy', value: 'Sign Response As Required' },
  other: { label: 'Sign', value: 'the SAML Response' },
};

describe('setupGuide', () => {
  it.each(idpVendors)('%s: the guide carries our ACS URL and entity ID', (vendor) => {
    const values = fieldsOf(setupGuide(vendor, sp)).map((field) => field.value);
    expect(values.some((value) => value.includes(sp.acsUrl))).toBe(true);
    expect(values.some((value) => value.includes(sp.entityId))).toBe(true);
  });

  it.each(idpVendors)('%s: the guide has the Response signed', (vendor) => {
    const { label, value } = responseSigning[vendor];
    expect(fieldsOf(setupGuide(vendor, sp)).some((field) => field.label === label && field.value.includes(value))).toBe(true);
  });

  it.each(idpVendors)('%s: the guide asks for SHA-256, the email and ends with what to send us', (vendor) => {
    const guide = setupGuide(vendor, sp);
    expect(guide.vendor).toBe(vendor);
    expect(guide.intro).not.toBe('');
    expect(JSON.stringify(guide)).toMatch(/SHA-?256|sha256/i);
    expect(JSON.stringify(guide)).toMatch(/email/i);
    expect(guide.steps.at(-1)?.title).toMatch(/^Send us/);
  });

  it('names each console’s own fields for the ACS URL and the entity ID', () => {
    const field = (vendor: IdpVendor, label: string) => fieldsOf(setupGuide(vendor, sp)).find((f) => f.label === label)?.value;
    expect(field('okta', 'Single sign-on URL')).toBe(sp.acsUrl);
    expect(field('okta', 'Audience URI (SP Entity ID)')).toBe(sp.entityId);
    expect(field('entra', 'Reply URL (Assertion Consumer Service URL)')).toBe(sp.acsUrl);
    expect(field('entra', 'Identifier (Entity ID)')).toBe(sp.entityId);
    expect(field('google', 'ACS URL')).toBe(sp.acsUrl);
    expect(field('google', 'Entity ID')).toBe(sp.entityId);
    expect(field('keycloak', 'Client ID')).toBe(sp.entityId);
    expect(field('keycloak', 'Valid redirect URIs')).toBe(sp.acsUrl);
    expect(field('keycloak', 'Master SAML Processing URL')).toBe(sp.acsUrl);
    expect(field('onelogin', 'Audience (EntityID)')).toBe(sp.entityId);
    expect(field('jumpcloud', 'SP Entity ID')).toBe(sp.entityId);
  });

  it('sets AD FS up from our metadata URL and names the trust in its PowerShell lines', () => {
    const fields = fieldsOf(setupGuide('adfs', sp));
    expect(fields.find((f) => f.label.endsWith('Federation metadata address'))?.value).toBe(sp.metadataUrl);
    const name = fields.find((f) => f.label === 'Display name')?.value;
    expect(name).toBe('console.example.com');
    expect(fields.find((f) => f.label === 'Response signature')?.value).toBe(
      'Set-AdfsRelyingPartyTrust -TargetName "console.example.com" -SamlResponseSignature MessageAndAssertion',
    );
    expect(fields.find((f) => f.label === 'Signature algorithm')?.value).toContain(
      '-SignatureAlgorithm http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    );
  });

  it('gives Auth0 settings JSON that signs the Response with rsa-sha256', () => {
    const settings = fieldsOf(setupGuide('auth0', sp)).find((f) => f.label === 'Settings')?.value ?? '';
    expect(JSON.parse(settings)).toMatchObject({
      audience: sp.entityId,
      recipient: sp.acsUrl,
      destination: sp.acsUrl,
      signResponse: true,
      signatureAlgorithm: 'rsa-sha256',
      digestAlgorithm: 'sha256',
      nameIdentifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    });
  });

  it('asks for the email NameID format unless the connection asks for unspecified', () => {
    const format = (options?: { nameIdFormat: 'emailAddress' | 'unspecified' }) =>
      fieldsOf(setupGuide('okta', sp, options)).find((f) => f.label === 'Name ID format')?.value;
    expect(format()).toBe('EmailAddress');
    expect(format({ nameIdFormat: 'unspecified' })).toBe('Unspecified');
    expect(fieldsOf(setupGuide('keycloak', sp)).find((f) => f.label === 'Name ID format')?.value).toBe('email');
    expect(fieldsOf(setupGuide('google', sp)).find((f) => f.label === 'Name ID format')?.value).toBe('EMAIL');
  });

  it('gives the generic guide for a vendor it does not know', () => {
    expect(setupGuide('nonesuch' as IdpVendor, sp).vendor).toBe('other');
    expect(setupGuide('toString' as IdpVendor, sp).vendor).toBe('other');
  });
});

describe('setupGuideText', () => {
  it.each(idpVendors)('%s: numbered steps with our values and the Response-signing option', (vendor) => {
    const text = setupGuideText(vendor, sp);
    const { label, value } = responseSigning[vendor];
    expect(text).toMatch(/^Setting up single sign-on with /);
    expect(text).toMatch(/^1\. /m);
    expect(text).toMatch(/^2\. /m);
    expect(text).toContain(sp.acsUrl);
    expect(text).toContain(sp.entityId);
    const lines = text.split('\n');
    if (vendor === 'auth0') expect(lines).toContain(`       ${value},`);
    else expect(lines.some((line) => line.startsWith(`   ${label}: `) && line.includes(value))).toBe(true);
  });

  it('writes each field as a "Label: value" line under its step', () => {
    const text = setupGuideText('okta', sp);
    expect(text).toContain(`\n   Single sign-on URL: ${sp.acsUrl}\n`);
    expect(text).toContain(`\n   Audience URI (SP Entity ID): ${sp.entityId}\n`);
    expect(text).toContain('\n   Response: Signed\n');
  });

  it('indents a multi-line value under its label', () => {
    const text = setupGuideText('auth0', sp);
    expect(text).toContain('   Settings: {\n       "audience": ');
    expect(text).toContain('\n       "signResponse": true,\n');
  });
});

describe('fixFor', () => {
  it('tells Entra to sign the response and the assertion', () => {
    expect(fixFor('entra', 'response_signed', context)).toContain(
      'Single sign-on › SAML Certificates › Edit › Signing Option › Sign SAML response and assertion',
    );
  });

  it('gives AD FS the PowerShell line that signs the Response', () => {
    expect(fixFor('adfs', 'response_signed', context)).toContain(
      'Set-AdfsRelyingPartyTrust -TargetName "console.example.com" -SamlResponseSignature MessageAndAssertion',
    );
  });

  it.each([
    ['google', 'Signed response'],
    ['auth0', '"signResponse": true'],
    ['keycloak', 'Sign documents to ON'],
    ['jumpcloud', 'Sign to Response'],
    ['onelogin', 'SAML signature element to Both'],
    ['okta', 'Response to Signed'],
    ['ping', 'Sign Response As Required'],
  ] satisfies [IdpVendor, string][])('%s: the Response-signing fix says %s', (vendor, words) => {
    expect(fixFor(vendor, 'response_signed', context)).toContain(words);
  });

  it('reads an spn: Audience as Entra’s Identifier (Entity ID) not being our entity ID', () => {
    for (const vendor of ['entra', 'other'] as const) {
      const fix = fixFor(vendor, 'audience_matches', { ...context, observed: 'spn:00000003-0000-0000-c000-000000000000' });
      expect(fix).toContain('Identifier (Entity ID)');
      expect(fix).toContain(`to ${sp.entityId}`);
      expect(fix).toContain('spn:00000003-0000-0000-c000-000000000000');
    }
  });

  it.each(idpVendors)('%s: the audience fix names where our entity ID goes and its value', (vendor) => {
    expect(fixFor(vendor, 'audience_matches', context)).toContain(sp.entityId);
  });

  it.each(idpVendors)('%s: the destination and recipient fixes name our ACS URL', (vendor) => {
    expect(fixFor(vendor, 'destination_matches', context)).toContain(sp.acsUrl);
    expect(fixFor(vendor, 'recipient_matches', context)).toContain(sp.acsUrl);
  });

  it('names each console’s own entity ID and ACS fields', () => {
    expect(fixFor('okta', 'audience_matches', context)).toContain('Audience URI (SP Entity ID)');
    expect(fixFor('entra', 'destination_matches', context)).toContain('Reply URL (Assertion Consumer Service URL)');
    expect(fixFor('google', 'recipient_matches', context)).toContain('ACS URL');
    expect(fixFor('keycloak', 'audience_matches', context)).toContain('Client ID');
  });

  it('sends the email as the NameID in each console’s words', () => {
    const entra = fixFor('entra', 'nameid_format', context);
    expect(entra).toContain('Unique User Identifier');
    expect(entra).toContain('Email address');
    expect(entra).toContain('user.mail');
    expect(fixFor('entra', 'email_found', context)).toContain('user.mail');
    expect(fixFor('keycloak', 'nameid_format', context)).toContain('Force name ID format to ON');
    expect(fixFor('google', 'nameid_format', context)).toContain('Name ID format to EMAIL');
    expect(fixFor('google', 'email_found', context)).toContain('Primary email');
    const adfs = fixFor('adfs', 'email_found', context);
    expect(adfs).toContain('E-Mail Address');
    expect(adfs).toContain('Name ID');
  });

  it('asks for SHA-256 in each console’s words', () => {
    expect(fixFor('entra', 'signature_algorithm', context)).toContain('Signing Algorithm to SHA-256');
    expect(fixFor('adfs', 'signature_algorithm', context)).toContain(
      '-SignatureAlgorithm http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    );
    expect(fixFor('auth0', 'signature_algorithm', context)).toContain('"signatureAlgorithm": "rsa-sha256"');
  });

  it.each(idpVendors)('%s: an unknown certificate asks for the current one or the metadata URL', (vendor) => {
    const fix = fixFor(vendor, 'certificate_known', context);
    expect(fix).toContain('current signing certificate');
    expect(fix).toContain('metadata URL');
  });

  it('points at the IdP’s clock and NTP for a time window failure', () => {
    expect(fixFor('adfs', 'time_window', context)).toContain('NTP');
    expect(fixFor('keycloak', 'time_window', context)).toContain('NTP');
  });

  it('asks for the test to start from our page, not the IdP’s app tile', () => {
    const fix = fixFor('okta', 'in_response_to', context);
    expect(fix).toContain('start the test from our page');
    expect(fix).toContain('Okta End-User Dashboard');
  });

  it('says the email the IdP sent is not a user here, and shows it', () => {
    const fix = fixFor('google', 'user_on_file', { ...context, observed: 'ana@acme.test' });
    expect(fix).toContain('is not a user here');
    expect(fix).toContain('Primary email');
    expect(fix).toContain('We received: ana@acme.test.');
  });

  it('shows what we received and what we expect, a long value cut short', () => {
    const fix = fixFor('okta', 'issuer_matches', {
      ...context,
      observed: `http://www.okta.com/${'x'.repeat(1000)}`,
      expected: 'http://www.okta.com/exk1',
    });
    expect(fix).toContain('We expect: http://www.okta.com/exk1.');
    expect(fix).toContain(`We received: http://www.okta.com/${'x'.repeat(280)}`);
    expect(fix).not.toContain('x'.repeat(301));
  });

  const everyPair = idpVendors.flatMap((vendor) => diagnosisChecks.map((check) => [vendor, check] as [IdpVendor, DiagnosisCheck]));
  it.each(everyPair)('%s × %s: a fix with every placeholder filled', (vendor, check) => {
    const fix = fixFor(vendor, check, context);
    expect(fix.trim().length).toBeGreaterThan(20);
    expect(fix).not.toMatch(/\{(spEntityId|acsUrl|relyingPartyName)\}/);
    expect(fix).not.toContain('undefined');
  });

  it('gives the generic fix for a vendor it does not know', () => {
    expect(fixFor('nonesuch' as IdpVendor, 'response_signed', context)).toBe(fixFor('other', 'response_signed', context));
    expect(fixFor('toString' as IdpVendor, 'response_signed', context)).toBe(fixFor('other', 'response_signed', context));
  });

  it('still says something for a check it does not know', () => {
    expect(fixFor('okta', 'nonesuch' as DiagnosisCheck, context)).toContain('Okta');
  });
});
