// The words of real IdPs and of a test sign-in's diagnosis (issue #14): which IdP a connection runs on, and
// the checks a diagnosis reports. A leaf module with no imports, shared by the setup guides, the diagnosis,
// the pages, the mails, the API's schemas and the database.

/** The IdPs with a setup guide of their own; `other` gets the generic one. */
export const idpVendors = ['okta', 'entra', 'google', 'adfs', 'onelogin', 'jumpcloud', 'ping', 'keycloak', 'auth0', 'other'] as const;
export type IdpVendor = (typeof idpVendors)[number];

export const idpVendorNames: Record<IdpVendor, string> = {
  okta: 'Okta',
  entra: 'Microsoft Entra ID',
  google: 'Google Workspace',
  adfs: 'AD FS',
  onelogin: 'OneLogin',
  jumpcloud: 'JumpCloud',
  ping: 'PingFederate / PingOne',
  keycloak: 'Keycloak',
  auth0: 'Auth0',
  other: 'another SAML 2.0 IdP',
};

/**
 * Every check a diagnosis runs, in the order the report lists them. A test sign-in runs all of them, without
 * stopping at the first failure; `passed` is false only when a check the policy needs failed.
 */
export const diagnosisChecks = [
  /** The SAMLResponse decodes and parses: one Response, at most one assertion, no DTD. */
  'response_parsed',
  /** The top-level StatusCode is Success. */
  'status_success',
  /** The Response element itself carries a valid signature (the policy needs it; an assertion-only signature is not enough). */
  'response_signed',
  /** The signature verifies with a certificate on file for this connection (not some other key). */
  'certificate_known',
  /** The signature and digest algorithms are SHA-256 or stronger (no SHA-1). */
  'signature_algorithm',
  /** The Response and assertion Issuer equal the IdP entity ID on file. */
  'issuer_matches',
  /** The Response Destination is our ACS URL. */
  'destination_matches',
  /** The assertion's Audience is our SP entity ID. */
  'audience_matches',
  /** A bearer SubjectConfirmation whose Recipient is our ACS URL. */
  'recipient_matches',
  /** InResponseTo answers the test sign-in we started. */
  'in_response_to',
  /** NotBefore / NotOnOrAfter / IssueInstant are within the allowed clock skew. */
  'time_window',
  /** The NameID format is the one the connection asks for (emailAddress unless set otherwise). */
  'nameid_format',
  /** An email address was found, in the NameID or the connection's email attribute. */
  'email_found',
  /** That email belongs to a user on file, on one of the connection's domains. */
  'user_on_file',
] as const;
export type DiagnosisCheck = (typeof diagnosisChecks)[number];

/** What carries a valid signature in a response. */
export const signedParts = ['response', 'assertion', 'both', 'none'] as const;
export type SignedParts = (typeof signedParts)[number];
