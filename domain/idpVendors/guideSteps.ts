// Per vendor: what to fill in where, in each console's own labels (facts in shared/notes/idp-defaults.md).
// Every guide has the Response signed (our policy needs it; an assertion-only signature is refused), SHA-256,
// the NameID as the user's email, an email attribute, and what to send us back.
import type { IdpVendor } from '../../contract/diagnosis.js';
import type { GuideField, GuideStep, NameIdChoice, SpValues } from './guides.js';

export const nameIdFormatUris: Record<NameIdChoice, string> = {
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
};

export const emailClaimUri = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';

interface VendorGuide {
  intro: string;
  steps: (sp: SpValues, format: NameIdChoice) => GuideStep[];
}

const field = (label: string, value: string): GuideField => ({ label, value });

function step(title: string, fields: GuideField[], note?: string): GuideStep {
  return note === undefined ? { title, fields } : { title, fields, note };
}

/** The AD FS relying party's display name the guide suggests, reused in its PowerShell lines. */
export function relyingPartyName(spEntityId: string): string {
  try {
    return new URL(spEntityId).hostname || 'Console';
  } catch {
    return 'Console';
  }
}

/** OneLogin's ACS URL validator is a regular expression; ours matched exactly. */
function exactPattern(url: string): string {
  return `^${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`;
}

const okta: VendorGuide = {
  intro: 'Create a SAML 2.0 app integration in the Okta Admin Console and fill in the values below.',
  steps: (sp, format) => [
    step('In the Okta Admin Console open Applications › Applications › Create App Integration', [
      field('Sign-in method', 'SAML 2.0'),
      field('App name', 'a name your users will recognise'),
    ]),
    step(
      'Configure SAML › General',
      [
        field('Single sign-on URL', sp.acsUrl),
        field('Use this for Recipient URL and Destination URL', 'ticked'),
        field('Audience URI (SP Entity ID)', sp.entityId),
        field('Name ID format', format === 'emailAddress' ? 'EmailAddress' : 'Unspecified'),
        field('Application username', 'Email'),
      ],
      'Okta refuses a request whose NameID format differs from the app’s Name ID format, so keep the one above.',
    ),
    step('Show Advanced Settings', [
      field('Response', 'Signed'),
      field('Assertion Signature', 'Signed'),
      field('Signature Algorithm', 'RSA-SHA256'),
      field('Digest Algorithm', 'SHA256'),
      field('Assertion Encryption', 'Unencrypted'),
    ]),
    step('Attribute Statements', [field('Name', 'email'), field('Name format', 'Basic'), field('Value', 'user.email')]),
    step('Assignments', [field('Assign', 'the people or groups who sign in to the console')]),
    step(
      'Send us the metadata URL',
      [field('Sign On › SAML Signing Certificates › Actions', 'View IdP metadata: copy the address of that page')],
      'With the metadata URL we pick up a new signing certificate ourselves.',
    ),
  ],
};

const entra: VendorGuide = {
  intro: 'Add a non-gallery enterprise application in the Microsoft Entra admin center and set it up for SAML with the values below.',
  steps: (sp, format) => [
    step('Open Identity › Applications › Enterprise applications › New application › Create your own application', [
      field(
        'What are you looking to do with your application?',
        'Integrate any other application you don’t find in the gallery (Non-gallery)',
      ),
    ]),
    step('Single sign-on › SAML › Basic SAML Configuration › Edit', [
      field('Identifier (Entity ID)', sp.entityId),
      field('Reply URL (Assertion Consumer Service URL)', sp.acsUrl),
    ]),
    step(
      'Attributes & Claims › Edit › Unique User Identifier (Name ID)',
      [
        field('Name identifier format', format === 'emailAddress' ? 'Email address' : 'Unspecified'),
        field('Source attribute', 'user.mail'),
        field(`Additional claim ${emailClaimUri}`, 'user.mail'),
      ],
      format === 'emailAddress'
        ? 'Entra sends the UPN (user.userprincipalname) by default, which is not always the email; user.mail is empty for users without a mailbox.'
        : 'With the format unspecified Entra sends a pairwise identifier as the NameID; we read the email from the emailaddress claim, so keep it on user.mail.',
    ),
    step('SAML Certificates › SAML Signing Certificate › Edit', [
      field('Signing Option', 'Sign SAML response and assertion'),
      field('Signing Algorithm', 'SHA-256'),
    ]),
    step('Users and groups › Add user/group', [field('Users and groups', 'the people or groups who sign in to the console')]),
    step('Send us the metadata URL', [field('SAML Certificates › App Federation Metadata Url', 'copy it and send it to us')]),
  ],
};

const google: VendorGuide = {
  intro: 'Add a custom SAML app in the Google Admin console and fill in the values below.',
  steps: (sp, format) => [
    step('Open Apps › Web and mobile apps › Add app › Add custom SAML app', [field('App name', 'a name your users will recognise')]),
    step('Google Identity Provider details', [field('Continue', 'you download the metadata for us at the end')]),
    step(
      'Service provider details',
      [
        field('ACS URL', sp.acsUrl),
        field('Entity ID', sp.entityId),
        field('Signed response', 'ticked'),
        field('Name ID format', format === 'emailAddress' ? 'EMAIL' : 'UNSPECIFIED'),
        field('Name ID', 'Basic Information › Primary email'),
      ],
      'With Signed response ticked Google signs the Response (with RSA-SHA256) and not the assertion; that is what we need.',
    ),
    step('Attribute mapping', [field('Google Directory attributes', 'Primary email'), field('App attributes', 'email')]),
    step('User access', [field('Service status', 'ON for everyone, or for the organisational units who sign in to the console')]),
    step(
      'Send us the metadata file',
      [field('Apps › Web and mobile apps › the app › Download metadata', 'send us the GoogleIDPMetadata.xml file')],
      'Google publishes no metadata URL, so send us the file (and again when you add a new certificate).',
    ),
  ],
};

const adfs: VendorGuide = {
  intro: 'Add a relying party trust in AD FS Management from our metadata URL, then add the claim rules and signing settings below.',
  steps: (sp, format) => {
    const name = relyingPartyName(sp.entityId);
    return [
      step(
        'AD FS Management › Relying Party Trusts › Add Relying Party Trust › Claims aware',
        [
          field('Import data about the relying party published online or on a local network › Federation metadata address', sp.metadataUrl),
          field('Display name', name),
          field('Access control policy', 'Permit everyone, or a group of the people who sign in to the console'),
        ],
        'The metadata fills in the identifier and the endpoint; check them on the trust’s Identifiers and Endpoints tabs.',
      ),
      step('Check the trust’s Properties', [
        field('Identifiers › Relying party identifier', sp.entityId),
        field('Endpoints › SAML Assertion Consumer Endpoint (POST)', sp.acsUrl),
      ]),
      step('Edit Claim Issuance Policy › Add Rule › Send LDAP Attributes as Claims', [
        field('Attribute store', 'Active Directory'),
        field('LDAP Attribute', 'E-Mail-Addresses'),
        field('Outgoing Claim Type', 'E-Mail Address'),
      ]),
      step(
        'Add Rule › Transform an Incoming Claim',
        [
          field('Incoming claim type', 'E-Mail Address'),
          field('Outgoing claim type', 'Name ID'),
          field('Outgoing name ID format', format === 'emailAddress' ? 'Email' : 'Unspecified'),
        ],
        'AD FS sends no NameID until a rule issues one.',
      ),
      step(
        'Sign the Response and use SHA-256 (PowerShell on the AD FS server, as an administrator)',
        [
          field('Response signature', `Set-AdfsRelyingPartyTrust -TargetName "${name}" -SamlResponseSignature MessageAndAssertion`),
          field(
            'Signature algorithm',
            `Set-AdfsRelyingPartyTrust -TargetName "${name}" -SignatureAlgorithm http://www.w3.org/2001/04/xmldsig-more#rsa-sha256`,
          ),
        ],
        'AD FS signs only the assertion by default (AssertionOnly). If you chose another display name, use it as -TargetName.',
      ),
      step(
        'Send us your federation metadata URL',
        [field('Federation metadata', 'https://<your AD FS host>/FederationMetadata/2007-06/FederationMetadata.xml')],
        'With it we pick up AD FS’s yearly token-signing certificate rollover ourselves.',
      ),
    ];
  },
};

const keycloak: VendorGuide = {
  intro: 'Create a SAML client in your Keycloak realm and fill in the values below.',
  steps: (sp, format) => [
    step('Clients › Create client', [
      field('Client type', 'SAML'),
      field('Client ID', sp.entityId),
      field('Name', 'a name your users will recognise'),
    ]),
    step('Login settings', [field('Valid redirect URIs', sp.acsUrl), field('Master SAML Processing URL', sp.acsUrl)]),
    step('Settings › SAML capabilities', [
      field('Name ID format', format === 'emailAddress' ? 'email' : 'unspecified'),
      field('Force name ID format', 'ON'),
      field('Force POST binding', 'ON'),
    ]),
    step(
      'Settings › Signature and Encryption',
      [field('Sign documents', 'ON'), field('Sign assertions', 'OFF or ON (either is fine)'), field('Signature algorithm', 'RSA_SHA256')],
      'Sign documents signs the Response, which we need.',
    ),
    step(
      'Keys',
      [field('Client signature required', 'OFF')],
      'Keycloak requires signed AuthnRequests by default; our requests are not signed.',
    ),
    step('Client scopes › the client’s dedicated scope › Add mapper › By configuration › User Property', [
      field('Name', 'email'),
      field('Property', 'email'),
      field('SAML Attribute Name', 'email'),
      field('SAML Attribute NameFormat', 'Basic'),
    ]),
    step('Send us the realm’s metadata URL', [
      field('Metadata URL', 'https://<your Keycloak host>/realms/<realm>/protocol/saml/descriptor'),
    ]),
  ],
};

const onelogin: VendorGuide = {
  intro: 'Add a SAML Custom Connector (Advanced) app in OneLogin and fill in the values below.',
  steps: (sp, format) => [
    step('Applications › Applications › Add App', [
      field('Search', 'SAML Custom Connector (Advanced)'),
      field('Display Name', 'a name your users will recognise'),
    ]),
    step('Configuration', [
      field('Audience (EntityID)', sp.entityId),
      field('Recipient', sp.acsUrl),
      field('ACS (Consumer) URL Validator', exactPattern(sp.acsUrl)),
      field('ACS (Consumer) URL', sp.acsUrl),
      field('SAML nameID format', format === 'emailAddress' ? 'Email' : 'Unspecified'),
      field('SAML signature element', 'Both'),
    ]),
    step('Parameters', [field('NameID value', 'Email'), field('Add parameter "email"', 'Value: Email, Include in SAML assertion: ticked')]),
    step('SSO', [field('SAML Signature Algorithm', 'SHA-256')]),
    step('Send us the metadata URL', [
      field('SSO › Issuer URL', 'https://app.onelogin.com/saml/metadata/<app id>: copy it and send it to us'),
    ]),
  ],
};

const jumpcloud: VendorGuide = {
  intro: 'Add a custom SAML application in the JumpCloud Admin Portal and fill in the values below.',
  steps: (sp, format) => [
    step('SSO Applications › Add New Application › Custom Application', [
      field('Manage Single Sign-On (SSO)', 'Configure SSO with SAML'),
      field('Display Label', 'a name your users will recognise'),
    ]),
    step(
      'SSO',
      [
        field('IdP Entity ID', 'JumpCloud, or a value unique to this application'),
        field('SP Entity ID', sp.entityId),
        field('ACS URLs › Default URL', sp.acsUrl),
        field('SAMLSubject NameID', 'email'),
        field('SAMLSubject NameID Format', nameIdFormatUris[format]),
        field('Signature Algorithm', 'RSA-SHA256'),
        field('Sign', 'Response'),
      ],
      'JumpCloud signs either the Response or the assertion, not both: choose Response.',
    ),
    step('SSO › Attributes', [field('Service Provider Attribute Name', 'email'), field('JumpCloud Attribute Name', 'email')]),
    step('User Groups', [field('Groups', 'the groups of the people who sign in to the console')]),
    step('Send us the metadata', [field('SSO › Export Metadata', 'send us the exported file')]),
  ],
};

const auth0: VendorGuide = {
  intro: 'Turn on the SAML2 Web App addon of an Auth0 application and paste the settings below.',
  steps: (sp, format) => [
    step('Applications › Applications › Create Application', [field('Application type', 'Regular Web Applications')]),
    step(
      'Addons › SAML2 Web App › Settings',
      [
        field('Application Callback URL', sp.acsUrl),
        field(
          'Settings',
          JSON.stringify(
            {
              audience: sp.entityId,
              recipient: sp.acsUrl,
              destination: sp.acsUrl,
              signResponse: true,
              signatureAlgorithm: 'rsa-sha256',
              digestAlgorithm: 'sha256',
              nameIdentifierFormat: nameIdFormatUris[format],
              nameIdentifierProbes: [emailClaimUri],
            },
            null,
            2,
          ),
        ),
      ],
      'Auth0 signs only the assertion, with SHA-1, unless "signResponse": true and "signatureAlgorithm": "rsa-sha256" are set.',
    ),
    step('Send us the metadata URL', [
      field('Addons › SAML2 Web App › Usage › Identity Provider Metadata', 'https://<tenant>.auth0.com/samlp/metadata/<client id>'),
    ]),
  ],
};

const ping: VendorGuide = {
  intro: 'Add a SAML application in PingOne, or an SP connection in PingFederate, with the values below.',
  steps: (sp, format) => [
    step('PingOne: Applications › Applications › Add Application › SAML Application › Manually Enter', [
      field('ACS URLs', sp.acsUrl),
      field('Entity ID', sp.entityId),
      field('Signing Key', 'Sign Assertion & Response (or Sign Response)'),
      field('Signing Algorithm', 'RSA_SHA256'),
      field('Subject NameID Format', nameIdFormatUris[format]),
    ]),
    step('PingOne: Attribute Mappings', [field('saml_subject', 'Email Address'), field('email', 'Email Address')]),
    step(
      'PingFederate: Applications › SP Connections › Create Connection › Browser SSO › SAML 2.0',
      [
        field('Import Metadata › URL', sp.metadataUrl),
        field('Partner’s Entity ID (Connection ID)', sp.entityId),
        field('Assertion Consumer Service URL › Endpoint URL (Binding POST)', sp.acsUrl),
        field('Signature Policy', 'Sign Response As Required'),
        field('Digital Signature Settings › Signing Algorithm', 'RSA SHA256'),
        field('Attribute Contract › SAML_SUBJECT format', nameIdFormatUris[format]),
        field('Attribute Contract › extend with', 'email (the user’s mail attribute)'),
      ],
      'Do not leave only "Always Sign Assertion": we need the Response signed.',
    ),
    step('Send us the metadata URL', [
      field('PingOne', 'the application’s Configuration › IdP Metadata URL'),
      field('PingFederate', 'https://<your PingFederate host>/pf/federation_metadata.ping?PartnerSpId=<our entity ID, URL-encoded>'),
    ]),
  ],
};

const other: VendorGuide = {
  intro: 'Create a SAML 2.0 application for us in your identity provider with the values below.',
  steps: (sp, format) => [
    step('Create a SAML 2.0 application (SP-initiated, HTTP-POST binding)', [
      field('SP metadata URL (if your IdP imports metadata)', sp.metadataUrl),
      field('Entity ID / Audience', sp.entityId),
      field('ACS URL (Reply URL, Recipient, Destination)', sp.acsUrl),
    ]),
    step('Subject and attributes', [
      field('NameID format', nameIdFormatUris[format]),
      field('NameID value', 'the user’s email address'),
      field('Attribute', 'email: the user’s email address'),
    ]),
    step(
      'Signing',
      [
        field('Sign', 'the SAML Response (signing the assertion as well is fine)'),
        field('Signature algorithm', 'RSA-SHA256'),
        field('Digest algorithm', 'SHA-256'),
      ],
      'We refuse a response in which only the assertion is signed.',
    ),
    step('Send us your IdP metadata', [field('Metadata', 'its URL (preferred: certificate rotation is then automatic), or the XML file')]),
  ],
};

export const guideSteps: Record<IdpVendor, VendorGuide> = { okta, entra, google, adfs, keycloak, onelogin, jumpcloud, auth0, ping, other };
