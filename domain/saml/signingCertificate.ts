// Which configured certificate signed a Response, found before node-saml verifies it. node-saml tries
// every certificate it is given, and each try parses, canonicalises and digests the whole document
// again (about as much work as the rest of a refusal); with several certificates on file, a forged
// post cost that many times a login. Here the configured certificates are tried against the
// signature over SignedInfo alone (one canonicalisation, then one public-key operation each), in the
// order KeyInfo suggests, and node-saml is given only the one that verifies. KeyInfo is chosen by
// whoever posts, so it only orders the configured certificates: it never adds one.
import { createHash } from 'node:crypto';
import { type CanonicalizationAlgorithmType, findAncestorNs, type SignatureAlgorithmType, SignedXml } from 'xml-crypto';
import type { IdpCertificate } from '../connections.js';
import { childElements, onlyChild, textOf } from '../xml.js';
import { ns } from './document.js';
// The SignatureAlgorithms of a SignedXml include ECDSA and RSA-SHA384 only once this has loaded.
import './signatureAlgorithms.js';

const dsig11 = 'http://www.w3.org/2009/xmldsig11#';
const digestAlgorithms: Record<string, string> = {
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};

const derOf = (pem: string) => Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''), 'base64');

/** Does this KeyInfo name the certificate, by the certificate itself, a digest of it, or a hex fingerprint as KeyName? */
function named(keyInfo: Element, certificate: IdpCertificate): boolean {
  const der = derOf(certificate.pem);
  for (const data of childElements(keyInfo, ns.dsig, 'X509Data')) {
    for (const cert of childElements(data, ns.dsig, 'X509Certificate')) {
      const body = (textOf(cert) ?? '').replace(/\s+/g, '');
      if (createHash('sha256').update(Buffer.from(body, 'base64')).digest('hex') === certificate.fingerprintSha256) return true;
    }
    for (const digest of childElements(data, dsig11, 'X509Digest')) {
      const algorithm = digestAlgorithms[digest.getAttribute('Algorithm') ?? ''];
      if (algorithm && createHash(algorithm).update(der).digest('base64') === (textOf(digest) ?? '').replace(/\s+/g, '')) return true;
    }
  }
  for (const keyName of childElements(keyInfo, ns.dsig, 'KeyName')) {
    const hex = (textOf(keyName) ?? '').replace(/[:\s]/g, '').toLowerCase();
    if (hex.length === 64 && hex === certificate.fingerprintSha256) return true;
    if (hex.length === 40 && hex === createHash('sha1').update(der).digest('hex')) return true;
  }
  return false;
}

/** The configured certificates, those the signature's KeyInfo names first, the rest in their order. */
export function orderByKeyInfo(signature: Element, certificates: IdpCertificate[]): IdpCertificate[] {
  const keyInfo = onlyChild(signature, ns.dsig, 'KeyInfo');
  if (!keyInfo) return certificates;
  const hinted = certificates.filter((c) => named(keyInfo, c));
  return hinted.length === 0 ? certificates : [...hinted, ...certificates.filter((c) => !hinted.includes(c))];
}

/**
 * SignedInfo canonicalised as xml-crypto canonicalises it before checking the SignatureValue (with its
 * algorithms, and the namespaces in scope at the document's first SignedInfo), or undefined when
 * xml-crypto could not verify this signature with any key (an algorithm it does not implement).
 */
function canonicalSignedInfo(doc: Document, signedInfo: Element): string | undefined {
  const algorithms = new SignedXml();
  const method = onlyChild(signedInfo, ns.dsig, 'CanonicalizationMethod')?.getAttribute('Algorithm') ?? '';
  const Canonicalization = algorithms.CanonicalizationAlgorithms[method as CanonicalizationAlgorithmType];
  if (!Canonicalization || method === 'http://www.w3.org/2000/09/xmldsig#enveloped-signature') return undefined;
  const ancestorNamespaces = findAncestorNs(doc, "//*[local-name()='SignedInfo']");
  const canonical = new Canonicalization().process(signedInfo.cloneNode(true) as Node, {
    ancestorNamespaces,
    defaultNsForPrefix: SignedXml.defaultNsForPrefix,
  });
  return canonical.toString();
}

/**
 * The first configured certificate, in KeyInfo's order, whose key made the Response's SignatureValue
 * over its SignedInfo; undefined when none did, in which case node-saml would refuse the signature
 * with every one of them too. It proves nothing about the content: node-saml still verifies the
 * digests and the signature with the certificate returned, and its answer decides.
 */
export function findSigningCertificate(doc: Document, root: Element, certificates: IdpCertificate[]): IdpCertificate | undefined {
  const signature = onlyChild(root, ns.dsig, 'Signature');
  const signedInfo = signature && onlyChild(signature, ns.dsig, 'SignedInfo');
  if (!signature || !signedInfo) return undefined;
  const method = onlyChild(signedInfo, ns.dsig, 'SignatureMethod')?.getAttribute('Algorithm') ?? '';
  const Algorithm = new SignedXml().SignatureAlgorithms[method as SignatureAlgorithmType];
  const signatureValue = (textOf(onlyChild(signature, ns.dsig, 'SignatureValue')) ?? '').replace(/\s+/g, '');
  if (!Algorithm || !signatureValue) return undefined;
  let material: string | undefined;
  try {
    material = canonicalSignedInfo(doc, signedInfo);
  } catch {
    return undefined;
  }
  if (material === undefined) return undefined;
  const algorithm = new Algorithm();
  return orderByKeyInfo(signature, certificates).find((certificate) => {
    try {
      return algorithm.verifySignature(material, certificate.pem, signatureValue) === true;
    } catch {
      return false;
    }
  });
}
