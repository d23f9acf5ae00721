// Where each IdP's console keeps what a failed diagnosis check points at, in that console's own words
// (facts in shared/notes/idp-defaults.md). `{spEntityId}` and `{acsUrl}` are filled with our SP's values,
// `{relyingPartyName}` with the AD FS display name the setup guide suggests.
import type { IdpVendor } from '../../contract/diagnosis.js';

export interface VendorFixWords {
  /** Where our SP entity ID is set. */
  entityId: string;
  /** Where our ACS URL is set (the Destination and the Recipient follow it). */
  acsUrl: string;
  responseSigned: string;
  algorithm: string;
  /** How to send the email as the NameID. */
  nameId: string;
  /** How to send an email at all (NameID or attribute). */
  email: string;
  /** Where the current signing certificate or metadata is found. */
  certificate: string;
  issuer: string;
  clock: string;
  /** Where an IdP-initiated sign-in starts, which answers no request of ours. */
  appTile: string;
  /** Where a user's email is kept in that IdP. */
  userEmail: string;
  /** Where that IdP logs why it refused a sign-in. */
  status: string;
}

const cloudClock =
  'keeps its own clock; check the clock of the computer you test from is not the cause by starting a new test sign-in, and tell your support contact if it persists (our allowed skew may need a look).';

const ntp =
  'Synchronise the server’s clock with NTP (w32tm /resync on Windows, chronyc or timedatectl on Linux) and start a new test sign-in.';

export const fixWords: Record<IdpVendor, VendorFixWords> = {
  okta: {
    entityId:
      'In the Okta Admin Console open Applications › the app › General › SAML Settings › Edit and set Audience URI (SP Entity ID) to {spEntityId}.',
    acsUrl:
      'In the Okta Admin Console open Applications › the app › General › SAML Settings › Edit and set Single sign-on URL to {acsUrl}, with "Use this for Recipient URL and Destination URL" ticked.',
    responseSigned: 'In the app’s General › SAML Settings › Edit › Show Advanced Settings set Response to Signed.',
    algorithm:
      'In the app’s General › SAML Settings › Edit › Show Advanced Settings set Signature Algorithm to RSA-SHA256 and Digest Algorithm to SHA256.',
    nameId: 'In the app’s General › SAML Settings › Edit set Name ID format to EmailAddress and Application username to Email.',
    email: 'In the app’s SAML Settings set Application username to Email, and add an Attribute Statement email = user.email.',
    certificate:
      'In the app’s Sign On › SAML Signing Certificates check which certificate is Active and send us it (Actions › Download certificate), or send us the View IdP metadata URL.',
    issuer:
      'Each Okta app has its own Issuer (http://www.okta.com/<id>): check that the test used the app you set up for us, and send us that app’s metadata URL (Sign On › View IdP metadata).',
    clock: `Okta ${cloudClock}`,
    appTile: 'the Okta End-User Dashboard tile',
    userEmail: 'Directory › People › the user › Profile › Primary email',
    status:
      'Look the sign-in up in Reports › System Log; the user must be assigned to the app (Assignments) and the Name ID format must match the one we ask for.',
  },
  entra: {
    entityId:
      'In the Microsoft Entra admin center open Enterprise applications › the app › Single sign-on › Basic SAML Configuration › Edit and set Identifier (Entity ID) to {spEntityId} (mark it Default).',
    acsUrl:
      'In the Microsoft Entra admin center open Enterprise applications › the app › Single sign-on › Basic SAML Configuration › Edit and set Reply URL (Assertion Consumer Service URL) to {acsUrl} (mark it Default).',
    responseSigned:
      'In the Microsoft Entra admin center open Enterprise applications › the app › Single sign-on › SAML Certificates › Edit › Signing Option › Sign SAML response and assertion, and Save.',
    algorithm:
      'In Enterprise applications › the app › Single sign-on › SAML Certificates › Edit set Signing Algorithm to SHA-256, and Save.',
    nameId:
      'In Enterprise applications › the app › Single sign-on › Attributes & Claims › Edit › Unique User Identifier (Name ID) set Name identifier format to Email address and Source attribute to user.mail (the default, user.userprincipalname, is not always the email).',
    email:
      'In Attributes & Claims › Unique User Identifier (Name ID) set Name identifier format Email address with source user.mail; user.mail is empty for users without a mailbox, so check the user has one.',
    certificate:
      'In Enterprise applications › the app › Single sign-on › SAML Certificates check which certificate is Active and send us its Federation Metadata XML, or send us the App Federation Metadata Url.',
    issuer:
      'Entra’s Issuer is https://sts.windows.net/<tenant ID>/: a different tenant ID means the app is in another tenant than the one on file; send us the App Federation Metadata Url of the app you set up for us.',
    clock: `Microsoft Entra ID ${cloudClock}`,
    appTile: 'My Apps or the Test button in the Entra admin center',
    userEmail: 'Users › the user › Properties › Email (mail)',
    status:
      'Look the AADSTS error code up in Monitoring › Sign-in logs; the user must be assigned to the app (Users and groups) unless Assignment required? is No.',
  },
  google: {
    entityId:
      'In the Google Admin console open Apps › Web and mobile apps › the app › Service provider details and set Entity ID to {spEntityId}.',
    acsUrl: 'In the Google Admin console open Apps › Web and mobile apps › the app › Service provider details and set ACS URL to {acsUrl}.',
    responseSigned:
      'In the Google Admin console open Apps › Web and mobile apps › the app › Service provider details and tick Signed response (Google then signs the Response, not the assertion; that is what we need).',
    algorithm: 'Google always signs with RSA-SHA256; if this check fails, send us the app’s current metadata (Download metadata).',
    nameId: 'In Service provider details set Name ID format to EMAIL and Name ID to Basic Information › Primary email.',
    email:
      'In Service provider details set Name ID format EMAIL and Name ID Basic Information › Primary email, and map Primary email to the app attribute email.',
    certificate:
      'In Apps › Web and mobile apps › the app open Service provider details › Manage certificates (or Download metadata) and send us the certificate the app uses now.',
    issuer:
      'Google’s Issuer is https://accounts.google.com/o/saml2?idpid=<id>, one per Google Workspace account: send us the metadata (Download metadata) of the account you set up the app in.',
    clock: `Google ${cloudClock}`,
    appTile: 'the Google app launcher or the Test SAML login button',
    userEmail: 'Directory › Users › the user › User information › Primary email',
    status:
      'Check User access: the app must be ON for the user’s organisational unit; Google shows its error (e.g. app_not_configured_for_user) on its page.',
  },
  adfs: {
    entityId:
      'In AD FS Management open Relying Party Trusts › the trust › Properties › Identifiers and set the relying party identifier to {spEntityId} (or update the trust from our metadata: Update from Federation Metadata).',
    acsUrl:
      'In AD FS Management open Relying Party Trusts › the trust › Properties › Endpoints and set the SAML Assertion Consumer Endpoint (POST) to {acsUrl}.',
    responseSigned:
      'On the AD FS server run: Set-AdfsRelyingPartyTrust -TargetName "{relyingPartyName}" -SamlResponseSignature MessageAndAssertion',
    algorithm:
      'On the AD FS server run: Set-AdfsRelyingPartyTrust -TargetName "{relyingPartyName}" -SignatureAlgorithm http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    nameId:
      'In the trust’s Edit Claim Issuance Policy add a Send LDAP Attributes as Claims rule (LDAP mail / E-Mail-Addresses → E-Mail Address), then a Transform an Incoming Claim rule (E-Mail Address → Name ID, Outgoing name ID format Email).',
    email:
      'AD FS sends no NameID until a claim rule issues one: add a claim rule LDAP mail (E-Mail-Addresses) → E-Mail Address, then transform to Name ID with format Email; check the user has an email in Active Directory.',
    certificate:
      'AD FS rolls its token-signing certificate over every year; send us https://<your AD FS host>/FederationMetadata/2007-06/FederationMetadata.xml so we follow the rollover, or the current certificate from Service › Certificates › Token-signing.',
    issuer:
      'AD FS’s Issuer is its Federation Service identifier (Service › Edit Federation Service Properties, e.g. http://<host>/adfs/services/trust): send us your current federation metadata.',
    clock: `${ntp} AD FS also allows Set-AdfsRelyingPartyTrust -TargetName "{relyingPartyName}" -NotBeforeSkew 2 (minutes) if its clock cannot be fixed at once.`,
    appTile: 'the AD FS IdpInitiatedSignOn page',
    userEmail: 'Active Directory Users and Computers › the user › General › E-mail',
    status:
      'Look the error up in Event Viewer › Applications and Services Logs › AD FS › Admin on the AD FS server; check the trust’s access control policy permits the user.',
  },
  keycloak: {
    entityId:
      'In the realm open Clients: the client’s Client ID must be {spEntityId} (create the client again with that Client ID if it differs).',
    acsUrl: 'In Clients › the client › Settings set Valid redirect URIs and Master SAML Processing URL to {acsUrl}.',
    responseSigned: 'In Clients › the client › Settings › Signature and Encryption set Sign documents to ON.',
    algorithm: 'In Clients › the client › Settings › Signature and Encryption set Signature algorithm to RSA_SHA256.',
    nameId: 'In Clients › the client › Settings › SAML capabilities set Name ID format to email and Force name ID format to ON.',
    email:
      'In Clients › the client › Settings set Name ID format email and Force name ID format ON, and add a User Property mapper email → SAML Attribute Name email; check the user has an email.',
    certificate:
      'In Realm settings › Keys check the active RS256 key, and send us the realm metadata URL (https://<host>/realms/<realm>/protocol/saml/descriptor) so we follow key changes.',
    issuer:
      'Keycloak’s Issuer is https://<host>/realms/<realm> as the browser reaches it: a different host (proxy, Frontend URL) or realm changes it; send us the metadata of the realm you set up.',
    clock: ntp,
    appTile: 'the Keycloak account console’s Applications page',
    userEmail: 'Users › the user › Details › Email',
    status: 'Look the error up under Events (turn on Save events in Realm settings › Events) or in the server log.',
  },
  onelogin: {
    entityId: 'In OneLogin open Applications › the app › Configuration and set Audience (EntityID) to {spEntityId}.',
    acsUrl:
      'In OneLogin open Applications › the app › Configuration and set ACS (Consumer) URL and Recipient to {acsUrl} (and the ACS (Consumer) URL Validator to match it).',
    responseSigned: 'In OneLogin open Applications › the app › Configuration and set SAML signature element to Both (or Response).',
    algorithm: 'In Applications › the app › SSO set SAML Signature Algorithm to SHA-256.',
    nameId: 'In Applications › the app › Configuration set SAML nameID format to Email, and in Parameters set NameID value to Email.',
    email:
      'In Applications › the app › Parameters set NameID value to Email and add an email parameter (Value Email, Include in SAML assertion).',
    certificate: 'In Applications › the app › SSO check the X.509 Certificate and send us it, or the Issuer URL (metadata).',
    issuer:
      'OneLogin’s Issuer is the app’s Issuer URL (https://app.onelogin.com/saml/metadata/<id>), one per app: send us the one of the app you set up for us.',
    clock: `OneLogin ${cloudClock}`,
    appTile: 'the OneLogin portal',
    userEmail: 'Users › the user › User Info › Email',
    status: 'Look the sign-in up in Activity › Events; the user must have the app (Users › the user › Applications, or a role).',
  },
  jumpcloud: {
    entityId: 'In the JumpCloud Admin Portal open SSO Applications › the app › SSO and set SP Entity ID to {spEntityId}.',
    acsUrl: 'In the JumpCloud Admin Portal open SSO Applications › the app › SSO and set ACS URLs › Default URL to {acsUrl}.',
    responseSigned: 'In SSO Applications › the app › SSO set Sign to Response (JumpCloud signs one or the other).',
    algorithm: 'In SSO Applications › the app › SSO set Signature Algorithm to RSA-SHA256.',
    nameId:
      'In SSO Applications › the app › SSO set SAMLSubject NameID to email and SAMLSubject NameID Format to urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress.',
    email: 'In SSO Applications › the app › SSO set SAMLSubject NameID to email, and add the attribute email → email.',
    certificate: 'In SSO Applications › the app › SSO use Export Metadata (or download the IdP certificate) and send us the file.',
    issuer:
      'JumpCloud’s Issuer is the app’s IdP Entity ID (SSO tab, JumpCloud by default): send us the value set there now, or the exported metadata.',
    clock: `JumpCloud ${cloudClock}`,
    appTile: 'the JumpCloud User Portal',
    userEmail: 'User Management › Users › the user › Company Email',
    status: 'Look the sign-in up in Insights (Directory Insights); the user must be in a group bound to the app (User Groups).',
  },
  auth0: {
    entityId: 'In the Auth0 Dashboard open Applications › the app › Addons › SAML2 Web App › Settings and set "audience": "{spEntityId}".',
    acsUrl:
      'In Applications › the app › Addons › SAML2 Web App › Settings set Application Callback URL to {acsUrl}, and "recipient" and "destination" to "{acsUrl}".',
    responseSigned: 'In Applications › the app › Addons › SAML2 Web App › Settings set "signResponse": true, and Save.',
    algorithm:
      'In Applications › the app › Addons › SAML2 Web App › Settings set "signatureAlgorithm": "rsa-sha256" and "digestAlgorithm": "sha256".',
    nameId: `In the SAML2 Web App settings set "nameIdentifierFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" and "nameIdentifierProbes": ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"].`,
    email:
      'In the SAML2 Web App settings set "nameIdentifierProbes" to the emailaddress claim, and check the user has an email in the connection they sign in with.',
    certificate:
      'Send us https://<tenant>.auth0.com/samlp/metadata/<client id> (Addons › SAML2 Web App › Usage) so we follow key rotation, or the certificate from Settings › Signing Keys.',
    issuer:
      'Auth0’s Issuer is urn:<tenant>.auth0.com (or your custom domain): send us the metadata of the tenant and app you set up for us.',
    clock: `Auth0 ${cloudClock}`,
    appTile: 'an Auth0 IdP-initiated link',
    userEmail: 'User Management › Users › the user › Email',
    status:
      'Look the sign-in up in Monitoring › Logs; the connection the user signs in with must be enabled for the app (Applications › the app › Connections).',
  },
  ping: {
    entityId:
      'Set the Entity ID (PingOne: the application’s Configuration; PingFederate: the SP connection’s Partner’s Entity ID) to {spEntityId}.',
    acsUrl:
      'Set the ACS URL (PingOne: the application’s Configuration › ACS URLs; PingFederate: the SP connection’s Assertion Consumer Service URL) to {acsUrl}.',
    responseSigned:
      'Sign the response: PingOne: the application’s Configuration › Signing Key › Sign Response (or Sign Assertion & Response); PingFederate: the SP connection’s Signature Policy › Sign Response As Required, not only Always Sign Assertion.',
    algorithm:
      'Set the signing algorithm to RSA_SHA256 (PingOne: Configuration › Signing Algorithm; PingFederate: Digital Signature Settings).',
    nameId:
      'Send the email as the subject: PingOne: Attribute Mappings › saml_subject = Email Address, Subject NameID Format emailAddress; PingFederate: SAML_SUBJECT with format emailAddress.',
    email: 'Map the user’s email to the subject (PingOne saml_subject; PingFederate SAML_SUBJECT) and to an email attribute.',
    certificate:
      'Send us the current signing certificate or the metadata URL (PingOne: Configuration › IdP Metadata URL; PingFederate: the connection’s metadata export).',
    issuer:
      'PingOne’s Issuer is https://auth.pingone.com/<environment ID>; PingFederate’s is its SAML 2.0 Entity ID (System › Protocol Settings): send us your current metadata.',
    clock: `PingOne ${cloudClock} For PingFederate: ${ntp}`,
    appTile: 'the PingOne application portal or a PingFederate IdP-initiated link (startSSO.ping)',
    userEmail: 'PingOne: Directory › Users › the user › Email; PingFederate: the user’s mail in your directory',
    status: 'Look the sign-in up in PingOne Monitoring › Audit, or PingFederate’s audit.log and server.log.',
  },
  other: {
    entityId: 'In your IdP’s application settings set the SP Entity ID (Audience) to {spEntityId}.',
    acsUrl: 'In your IdP’s application settings set the ACS URL (Reply URL, Recipient, Destination) to {acsUrl}.',
    responseSigned:
      'Set your IdP to sign the SAML Response itself (signing the assertion as well is fine); an assertion-only signature is refused.',
    algorithm: 'Set your IdP’s signature algorithm to RSA-SHA256 and its digest algorithm to SHA-256.',
    nameId: 'Set your IdP’s NameID format to urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress with the user’s email as its value.',
    email: 'Send the user’s email address as the NameID, or as the email attribute set on this connection.',
    certificate: 'Send us your IdP’s current signing certificate, or its metadata URL.',
    issuer: 'Send us your IdP’s current metadata: its entity ID is not the one on file.',
    clock: ntp,
    appTile: 'your IdP’s application portal',
    userEmail: 'the user’s profile in your IdP',
    status: 'Look the sign-in up in your IdP’s log; the user must be assigned to the application.',
  },
};
