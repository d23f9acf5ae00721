// Hand-made SAML responses for hostile-input tests, signed by a second, independent implementation
// (xmlsec1, the reference C library) so that our verifier is never checked against itself.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';

const execFileAsync = promisify(execFile);

export const samlNs = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

export const nameIdFormats = {
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
} as const;

export const statusCodes = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
} as const;

export const confirmationMethods = {
  bearer: 'urn:oasis:names:tc:SAML:2.0:cm:bearer',
  holderOfKey: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key',
} as const;

const algorithms = {
  'rsa-sha256': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'rsa-sha1': 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  'hmac-sha256': 'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256',
  'rsa-sha384': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'rsa-sha512': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'ecdsa-sha1': 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1',
  'ecdsa-sha256': 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  'ecdsa-sha384': 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384',
  'ecdsa-sha512': 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha384: 'http://www.w3.org/2001/04/xmldsig-more#sha384',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
} as const;

/** The SignatureMethods a template can name; xmlsec1 signs with the one named, RSA or EC key alike. */
export type TemplateSignatureAlgorithm =
  | 'rsa-sha256'
  | 'rsa-sha1'
  | 'hmac-sha256'
  | 'rsa-sha384'
  | 'rsa-sha512'
  | 'ecdsa-sha1'
  | 'ecdsa-sha256'
  | 'ecdsa-sha384'
  | 'ecdsa-sha512';

export type TemplateDigestAlgorithm = 'sha256' | 'sha1' | 'sha384' | 'sha512';

export type SignedParts = 'response' | 'assertion' | 'both' | 'none';

export interface SamlAttribute {
  name: string;
  values: string[];
}

export interface ResponseOptions {
  /** The Response Destination; also the Recipient unless `recipient` is given. */
  destination: string;
  audience: string;
  /** The IdP entity ID, used for both Issuers unless overridden. */
  issuer: string;
  responseIssuer?: string;
  assertionIssuer?: string;
  recipient?: string;
  /** The NameID text (escaped); `nameIdXml` replaces it with raw markup (comments, nested elements). */
  email?: string;
  nameIdXml?: string;
  /** `null` leaves the Format attribute out. */
  nameIdFormat?: string | null;
  attributes?: SamlAttribute[];
  status?: string;
  confirmationMethod?: string;
  inResponseTo?: string;
  responseId?: string;
  assertionId?: string;
  now?: Date;
  notBefore?: Date;
  notOnOrAfter?: Date;
  confirmationNotOnOrAfter?: Date;
  sessionNotOnOrAfter?: Date;
  signatureAlgorithm?: TemplateSignatureAlgorithm;
  digestAlgorithm?: TemplateDigestAlgorithm;
  /** Which elements carry a Signature template, right after their Issuer. */
  signed?: SignedParts;
  /** Whether KeyInfo asks the signer to embed its certificate. */
  embedCertificate?: boolean;
}

export interface SigningKey {
  keyPem: string;
  certPem: string;
}

export const newSamlId = () => `_${randomBytes(16).toString('hex')}`;

const minutes = (n: number, from: Date) => new Date(from.getTime() + n * 60_000);

export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function signatureTemplate(id: string, opts: ResponseOptions): string {
  const keyInfo = (opts.embedCertificate ?? true) ? '<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>' : '';
  return (
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>' +
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
    `<ds:SignatureMethod Algorithm="${algorithms[opts.signatureAlgorithm ?? 'rsa-sha256']}"/>` +
    `<ds:Reference URI="#${id}"><ds:Transforms>` +
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>' +
    '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>' +
    `<ds:DigestMethod Algorithm="${algorithms[opts.digestAlgorithm ?? 'sha256']}"/><ds:DigestValue/></ds:Reference>` +
    `</ds:SignedInfo><ds:SignatureValue/>${keyInfo}</ds:Signature>`
  );
}

function attributeStatement(attributes: SamlAttribute[] | undefined): string {
  if (!attributes?.length) return '';
  const items = attributes.map(
    (a) =>
      `<saml:Attribute Name="${escapeXml(a.name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">` +
      a.values.map((v) => `<saml:AttributeValue>${escapeXml(v)}</saml:AttributeValue>`).join('') +
      '</saml:Attribute>',
  );
  return `<saml:AttributeStatement>${items.join('')}</saml:AttributeStatement>`;
}

/** An unsigned SAML 2.0 Response with one Assertion, and Signature templates where `signed` asks. */
export function responseXml(opts: ResponseOptions): string {
  const now = opts.now ?? new Date();
  const responseId = opts.responseId ?? newSamlId();
  const assertionId = opts.assertionId ?? newSamlId();
  const signed = opts.signed ?? 'response';
  const inResponseTo = opts.inResponseTo ? ` InResponseTo="${escapeXml(opts.inResponseTo)}"` : '';
  const format = opts.nameIdFormat === null ? '' : ` Format="${escapeXml(opts.nameIdFormat ?? nameIdFormats.emailAddress)}"`;
  const nameId = opts.nameIdXml ?? escapeXml(opts.email ?? 'nobody@example.test');
  const confirmationExpiry = opts.confirmationNotOnOrAfter ?? opts.notOnOrAfter ?? minutes(5, now);
  const assertion =
    `<saml:Assertion ID="${assertionId}" Version="2.0" IssueInstant="${now.toISOString()}">` +
    `<saml:Issuer>${escapeXml(opts.assertionIssuer ?? opts.issuer)}</saml:Issuer>` +
    (signed === 'assertion' || signed === 'both' ? signatureTemplate(assertionId, opts) : '') +
    `<saml:Subject><saml:NameID${format}>${nameId}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="${escapeXml(opts.confirmationMethod ?? confirmationMethods.bearer)}">` +
    `<saml:SubjectConfirmationData${inResponseTo} NotOnOrAfter="${confirmationExpiry.toISOString()}" ` +
    `Recipient="${escapeXml(opts.recipient ?? opts.destination)}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${(opts.notBefore ?? minutes(-1, now)).toISOString()}" ` +
    `NotOnOrAfter="${(opts.notOnOrAfter ?? minutes(5, now)).toISOString()}">` +
    `<saml:AudienceRestriction><saml:Audience>${escapeXml(opts.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="${newSamlId()}" ` +
    `SessionNotOnOrAfter="${(opts.sessionNotOnOrAfter ?? minutes(8 * 60, now)).toISOString()}">` +
    '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport' +
    '</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>' +
    attributeStatement(opts.attributes) +
    '</saml:Assertion>';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<samlp:Response xmlns:samlp="${samlNs.protocol}" xmlns:saml="${samlNs.assertion}" ID="${responseId}" Version="2.0" ` +
    `IssueInstant="${now.toISOString()}" Destination="${escapeXml(opts.destination)}"${inResponseTo}>` +
    `<saml:Issuer>${escapeXml(opts.responseIssuer ?? opts.issuer)}</saml:Issuer>` +
    (signed === 'response' || signed === 'both' ? signatureTemplate(responseId, opts) : '') +
    `<samlp:Status><samlp:StatusCode Value="${escapeXml(opts.status ?? statusCodes.success)}"/></samlp:Status>` +
    assertion +
    '</samlp:Response>'
  );
}

const idAttributes = ['--id-attr:ID', `${samlNs.protocol}:Response`, '--id-attr:ID', `${samlNs.assertion}:Assertion`];
const signatureXpath = {
  assertion: "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']",
  response: "/*[local-name()='Response']/*[local-name()='Signature']",
} as const;

async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'saml-craft-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Fills the Signature templates with xmlsec1: the assertion's first, since the Response's signature
 * covers it. `hmacKey` signs an HMAC template with those bytes instead of the RSA key.
 */
export async function signWithXmlsec(
  xml: string,
  opts: SigningKey & { sign: Exclude<SignedParts, 'none'>; hmacKey?: string },
): Promise<string> {
  return await withTempDir(async (dir) => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    let current = join(dir, 'doc-0.xml');
    await writeFile(key, opts.hmacKey ?? opts.keyPem);
    await writeFile(cert, opts.certPem);
    await writeFile(current, xml);
    const keyArgs = opts.hmacKey === undefined ? ['--privkey-pem', `${key},${cert}`] : ['--hmackey', key];
    const steps = opts.sign === 'both' ? (['assertion', 'response'] as const) : [opts.sign];
    for (const [i, step] of steps.entries()) {
      const output = join(dir, `doc-${i + 1}.xml`);
      await execFileAsync('xmlsec1', [
        '--sign',
        ...keyArgs,
        ...idAttributes,
        '--node-xpath',
        signatureXpath[step],
        '--output',
        output,
        current,
      ]);
      current = output;
    }
    return await readFile(current, 'utf8');
  });
}

/** Verifies the Response's own signature with xmlsec1 and only the given certificate (KeyInfo is ignored). */
export async function verifiesWithXmlsec(xml: string, certPem: string): Promise<boolean> {
  return await withTempDir(async (dir) => {
    await writeFile(join(dir, 'cert.pem'), certPem);
    await writeFile(join(dir, 'doc.xml'), xml);
    try {
      await execFileAsync('xmlsec1', [
        '--verify',
        '--enabled-key-data',
        'key-name',
        '--pubkey-cert-pem',
        join(dir, 'cert.pem'),
        ...idAttributes,
        '--node-xpath',
        signatureXpath.response,
        join(dir, 'doc.xml'),
      ]);
      return true;
    } catch {
      return false;
    }
  });
}

export const encodeBase64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

/** Parses, lets `edit` change the DOM, serialises: for changes a signer (or an attacker) makes. */
export function editXml(xml: string, edit: (doc: Document) => void): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  edit(doc);
  return new XMLSerializer().serializeToString(doc);
}

/** `edit` runs on the template before signing, as a (possibly misbehaving) IdP would produce it. */
export async function signedResponseXml(
  opts: ResponseOptions & SigningKey & { edit?: (doc: Document) => void; hmacKey?: string },
): Promise<string> {
  const signed = opts.signed ?? 'response';
  let xml = responseXml({ ...opts, signed });
  if (opts.edit) xml = editXml(xml, opts.edit);
  return signed === 'none' ? xml : await signWithXmlsec(xml, { ...opts, sign: signed });
}

/** The base64 SAMLResponse form field of a response built and signed as `opts` says. */
export async function signedResponse(opts: Parameters<typeof signedResponseXml>[0]): Promise<string> {
  return encodeBase64(await signedResponseXml(opts));
}

export function childElement(parent: Element, namespace: string, localName: string): Element {
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).localName === localName && (node as Element).namespaceURI === namespace) {
      return node as Element;
    }
  }
  throw new Error(`no ${localName} child in ${parent.localName}`);
}

export function assertionOf(doc: Document): Element {
  return childElement(doc.documentElement, samlNs.assertion, 'Assertion');
}

export function setNameId(assertion: Element, email: string): void {
  const nameId = childElement(childElement(assertion, samlNs.assertion, 'Subject'), samlNs.assertion, 'NameID');
  while (nameId.firstChild) nameId.removeChild(nameId.firstChild);
  nameId.appendChild(nameId.ownerDocument.createTextNode(email));
}

function withoutSignature(element: Element): Element {
  const clone = element.cloneNode(true) as Element;
  clone.removeChild(childElement(clone, samlNs.dsig, 'Signature'));
  return clone;
}

export type WrappingVariant = 'XSW1' | 'XSW2' | 'XSW3' | 'XSW4' | 'XSW5' | 'XSW6' | 'XSW7' | 'XSW8';

/**
 * The eight XML signature wrapping attacks of "On Breaking SAML" (Somorovsky et al., 2012), as SAML
 * Raider builds them: the signed original stays somewhere the signature reference still finds it,
 * while an evil copy naming `evilEmail` sits where a naive SP reads. XSW1–2 wrap the Response
 * signature, XSW3–8 the Assertion signature (the xml must be signed accordingly).
 */
export function wrapSignature(signedXml: string, variant: WrappingVariant, evilEmail: string): string {
  return editXml(signedXml, (doc) => {
    const response = doc.documentElement;
    const assertion = assertionOf(doc);
    const evil = (element: Element) => {
      element.setAttribute('ID', newSamlId());
      setNameId(element, evilEmail);
      return element;
    };
    switch (variant) {
      case 'XSW1':
      case 'XSW2': {
        const signature = childElement(response, samlNs.dsig, 'Signature');
        const original = withoutSignature(response);
        if (variant === 'XSW1') signature.appendChild(original);
        else response.insertBefore(original, signature);
        response.setAttribute('ID', newSamlId());
        setNameId(assertion, evilEmail);
        return;
      }
      case 'XSW3':
        response.insertBefore(evil(withoutSignature(assertion)), assertion);
        return;
      case 'XSW4': {
        const wrapper = evil(withoutSignature(assertion));
        response.replaceChild(wrapper, assertion);
        wrapper.appendChild(assertion);
        return;
      }
      case 'XSW5':
      case 'XSW6':
      case 'XSW8': {
        const original = withoutSignature(assertion);
        const signature = childElement(assertion, samlNs.dsig, 'Signature');
        evil(assertion);
        if (variant === 'XSW5') response.appendChild(original);
        else if (variant === 'XSW6') signature.appendChild(original);
        else {
          const object = doc.createElementNS(samlNs.dsig, 'ds:Object');
          object.appendChild(original);
          signature.appendChild(object);
        }
        return;
      }
      case 'XSW7': {
        const extensions = doc.createElementNS(samlNs.protocol, 'samlp:Extensions');
        extensions.appendChild(assertion.cloneNode(true));
        response.insertBefore(extensions, assertion);
        assertion.removeChild(childElement(assertion, samlNs.dsig, 'Signature'));
        evil(assertion);
        return;
      }
    }
  });
}
