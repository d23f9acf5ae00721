// What the customer's administrator does in their own IdP's console before its signing certificate
// expires, per vendor (idpVendorOf in liveConnections.ts). One module, so the reminder mail, the
// dashboard and the README say the same. Facts from ../shared/notes/idp-defaults.md and the vendors' docs.

export interface RotationSteps {
  vendorName: string;
  steps: string[];
}

const publishMetadata =
  'If you gave us a metadata URL, we read it daily: a new certificate published there is picked up automatically and verifies sign-ins at once; otherwise send the new certificate to your support contact.';

const byVendor: Record<string, RotationSteps> = {
  adfs: {
    vendorName: 'AD FS',
    steps: [
      'AD FS creates the next token-signing certificate itself (AutoCertificateRollover) 20 days before the current one expires and makes it primary 5 days later; check with Get-AdfsCertificate -CertificateType Token-Signing that a secondary certificate exists.',
      'If AutoCertificateRollover is off: create a new token-signing certificate, add it with Add-AdfsCertificate -CertificateType Token-Signing -Thumbprint <thumbprint>, and make it primary with Set-AdfsCertificate -IsPrimary once we have it.',
      publishMetadata,
      'Your federation metadata is at https://<your AD FS host>/FederationMetadata/2007-06/FederationMetadata.xml.',
    ],
  },
  entra: {
    vendorName: 'Microsoft Entra ID',
    steps: [
      'In the Microsoft Entra admin center open Enterprise applications › the console application › Single sign-on › SAML Certificates.',
      'Select Edit on the SAML Signing Certificate, then New Certificate (SHA-256), and Save: the new certificate is added as inactive.',
      'Download its Federation Metadata XML (or the Certificate (Base64)) and make sure we have it: with a metadata URL we pick it up ourselves, otherwise send it to your support contact.',
      'Once we confirm it is on file, open the new certificate’s ⋯ menu and choose Make certificate active; keep Signing Option "Sign SAML response and assertion".',
    ],
  },
  okta: {
    vendorName: 'Okta',
    steps: [
      'In the Okta Admin Console open Applications › the console application › Sign On › SAML Signing Certificates.',
      'Choose Generate new certificate (SHA-2); Okta never activates it on its own.',
      'Send us the new certificate (Actions › Download certificate) or let us read the application’s metadata URL, and wait for our confirmation.',
      'Then choose Actions › Activate on the new certificate.',
    ],
  },
  google: {
    vendorName: 'Google Workspace',
    steps: [
      'In the Google Admin console open Apps › Web and mobile apps › the console application › Service provider details.',
      'Under Certificate choose Add certificate (Google keeps at most two), then Download metadata or the certificate.',
      'Send us the new certificate and wait for our confirmation that it is on file.',
      'Then make the new certificate the one the application uses and keep "Signed response" ticked.',
    ],
  },
  keycloak: {
    vendorName: 'Keycloak',
    steps: [
      'In the realm open Realm settings › Keys › Providers and add an rsa-generated provider with a higher priority than the current one (keep the old one enabled, not active, until we have the new key).',
      publishMetadata,
      'Keycloak publishes the realm metadata at https://<host>/realms/<realm>/protocol/saml/descriptor.',
    ],
  },
  onelogin: {
    vendorName: 'OneLogin',
    steps: [
      'In OneLogin open Security › Certificates and create a new certificate (SHA-256, 2048 bits or more).',
      'Send us the new certificate (or its metadata) and wait for our confirmation.',
      'Then open Applications › the console application › SSO and switch X.509 Certificate to the new one.',
    ],
  },
  jumpcloud: {
    vendorName: 'JumpCloud',
    steps: [
      'In the JumpCloud Admin Portal open SSO Applications › the console application › SSO.',
      'Replace the IdP certificate and private key (or upload a new pair) and export the new metadata.',
      'Send us the new certificate or metadata before saving the change in JumpCloud, and wait for our confirmation.',
    ],
  },
  auth0: {
    vendorName: 'Auth0',
    steps: [
      'In the Auth0 Dashboard open Settings › Signing Keys and choose Rotate Signing Key: the next key is published before it is used.',
      'Auth0 publishes the metadata at https://<tenant>.auth0.com/samlp/metadata/<client id>; with that metadata URL we pick up the next key ourselves, otherwise send us the new certificate.',
    ],
  },
  ping: {
    vendorName: 'PingFederate / PingOne',
    steps: [
      'Create a new signing certificate (PingFederate: Security › Signing & Decryption Keys & Certificates; PingOne: Settings › Certificates & Key Pairs).',
      'Send us the new certificate (or let us read the connection’s metadata URL) and wait for our confirmation.',
      'Then switch the console connection’s signing certificate to the new one.',
    ],
  },
};

const other: RotationSteps = {
  vendorName: 'your identity provider',
  steps: [
    'Create a new SAML signing certificate for the console application in your identity provider (SHA-256, RSA 2048 bits or more).',
    'Send us the new certificate, or publish it in the metadata at the URL you gave us, before the identity provider starts signing with it.',
    'Once we confirm it is on file, switch the application to the new certificate.',
  ],
};

export function rotationStepsFor(vendor: string): RotationSteps {
  return byVendor[vendor] ?? other;
}
