// The signature and digest algorithms our policy allows (document.ts) that xml-crypto 6 lacks: ECDSA
// with SHA-256/384/512 (RFC 6931 §2.3.6; P-256, P-384 and P-521 certificates pass intake), RSA with
// SHA-384 and the SHA-384 digest. Without them xml-crypto throws "signature algorithm … is not
// supported" (or "hash algorithm …"), which node-saml swallows per certificate and then reports as
// an invalid document signature: such a response, however genuine, never logged in.
//
// xml-crypto's extension point is each SignedXml's own SignatureAlgorithms and HashAlgorithms maps,
// which its constructor assigns as fresh object literals. We build our own SignedXml (the signing-
// certificate search) but node-saml builds its own with `new SignedXml()` and no options or hook
// (lib/xml.js, getVerifiedXml), so the maps can only be reached through the class. Because the
// constructor assigns them (`this.SignatureAlgorithms = {…}`, not a field definition), an accessor on
// SignedXml.prototype receives that assignment: it keeps the library's map with ours added where the
// library has none, as if xml-crypto had listed them itself. Any later assignment (enableHMAC, a
// caller's own narrower map) is kept exactly as given, so nothing is enabled that a caller took away.
// Installed once per process, since every importer shares the one prototype; a probe at load throws
// if a future xml-crypto defines the maps some other way, rather than letting ECDSA logins fail quietly.
import { type BinaryLike, createHash, createPrivateKey, createPublicKey, type KeyLike, KeyObject, sign, verify } from 'node:crypto';
import { createOptionalCallbackFunction, type HashAlgorithm, type SignatureAlgorithm, SignedXml } from 'xml-crypto';

export const signatureAlgorithmUris = {
  ecdsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  ecdsaSha384: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384',
  ecdsaSha512: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512',
  rsaSha384: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
} as const;

export const digestAlgorithmUris = {
  sha384: 'http://www.w3.org/2001/04/xmldsig-more#sha384',
} as const;

type Hash = 'sha256' | 'sha384' | 'sha512';

/**
 * The key's public half, when it is of the type the algorithm names: an RSA certificate must not verify
 * a signature labelled ECDSA, nor an EC one a signature labelled RSA (Node would happily do either).
 */
function publicKeyOfType(key: KeyLike, type: 'ec' | 'rsa') {
  try {
    const publicKey = createPublicKey(key);
    return publicKey.asymmetricKeyType === type ? publicKey : undefined;
  } catch {
    return undefined;
  }
}

const bytesOf = (data: BinaryLike) => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
const privateKeyOf = (key: KeyLike) => (key instanceof KeyObject ? key : createPrivateKey(key));

/**
 * XML-DSig carries an ECDSA signature as r and s, each left-padded to the curve's size and
 * concatenated (RFC 4050 §3.3, XML-DSig 1.1 §6.4.3), not as the DER that node:crypto expects by
 * default; hence 'ieee-p1363'. Any curve may be paired with any of the hashes, as the spec allows.
 */
function ecdsa(uri: string, hash: Hash): new () => SignatureAlgorithm {
  return class implements SignatureAlgorithm {
    getSignature = createOptionalCallbackFunction((signedInfo: BinaryLike, privateKey: KeyLike) =>
      sign(hash, bytesOf(signedInfo), { key: privateKeyOf(privateKey), dsaEncoding: 'ieee-p1363' }).toString('base64'),
    );
    verifySignature = createOptionalCallbackFunction((material: string, key: KeyLike, signatureValue: string) => {
      const publicKey = publicKeyOfType(key, 'ec');
      if (!publicKey) return false;
      return verify(hash, bytesOf(material), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signatureValue, 'base64'));
    });
    getAlgorithmName = () => uri;
  };
}

/** PKCS #1 v1.5, as xml-crypto's RSA-SHA256 and RSA-SHA512, but with SHA-384 and an RSA key only. */
class RsaSha384 implements SignatureAlgorithm {
  getSignature = createOptionalCallbackFunction((signedInfo: BinaryLike, privateKey: KeyLike) =>
    sign('sha384', bytesOf(signedInfo), privateKey).toString('base64'),
  );
  verifySignature = createOptionalCallbackFunction((material: string, key: KeyLike, signatureValue: string) => {
    const publicKey = publicKeyOfType(key, 'rsa');
    if (!publicKey) return false;
    return verify('sha384', bytesOf(material), publicKey, Buffer.from(signatureValue, 'base64'));
  });
  getAlgorithmName = () => signatureAlgorithmUris.rsaSha384;
}

class Sha384 implements HashAlgorithm {
  getHash = (xml: string) => createHash('sha384').update(xml, 'utf8').digest('base64');
  getAlgorithmName = () => digestAlgorithmUris.sha384;
}

export const addedSignatureAlgorithms: Record<string, new () => SignatureAlgorithm> = {
  [signatureAlgorithmUris.ecdsaSha256]: ecdsa(signatureAlgorithmUris.ecdsaSha256, 'sha256'),
  [signatureAlgorithmUris.ecdsaSha384]: ecdsa(signatureAlgorithmUris.ecdsaSha384, 'sha384'),
  [signatureAlgorithmUris.ecdsaSha512]: ecdsa(signatureAlgorithmUris.ecdsaSha512, 'sha512'),
  [signatureAlgorithmUris.rsaSha384]: RsaSha384,
};

export const addedHashAlgorithms: Record<string, new () => HashAlgorithm> = {
  [digestAlgorithmUris.sha384]: Sha384,
};

const installed = Symbol.for('saml-sp.xml-crypto.added-algorithms');

/** Makes every SignedXml's default maps hold the algorithms above, in addition to the library's own. */
function extendDefaultMap(property: 'SignatureAlgorithms' | 'HashAlgorithms', added: Record<string, unknown>) {
  const maps = new WeakMap<object, unknown>();
  Object.defineProperty(SignedXml.prototype, property, {
    configurable: true,
    get(this: object) {
      return maps.get(this);
    },
    set(this: object, map: Record<string, unknown>) {
      // The first assignment is the constructor's, of the library's defaults.
      maps.set(this, maps.has(this) ? map : { ...added, ...map });
    },
  });
}

function installAddedAlgorithms(): void {
  const prototype = SignedXml.prototype as unknown as Record<symbol, boolean>;
  if (!prototype[installed]) {
    extendDefaultMap('SignatureAlgorithms', addedSignatureAlgorithms);
    extendDefaultMap('HashAlgorithms', addedHashAlgorithms);
    prototype[installed] = true;
  }
  const probe = new SignedXml();
  const missing = [
    ...Object.keys(addedSignatureAlgorithms).filter((uri) => !probe.SignatureAlgorithms[uri]),
    ...Object.keys(addedHashAlgorithms).filter((uri) => !probe.HashAlgorithms[uri]),
  ];
  if (missing.length > 0) throw new Error(`xml-crypto did not take the added algorithms: ${missing.join(', ')}`);
}

installAddedAlgorithms();
