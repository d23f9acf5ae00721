// Request schemas: the same objects validate input and generate the OpenAPI document (api/openapi.ts).
// `.meta()` only describes a schema (an `id` names it in the document's components); it never changes what is accepted.
import { z } from 'zod';
import { approvalDecisions, describeId, idPattern, revertTargets, ssoBindings, ssoStates } from '../contract/vocabulary.js';
import { type AuditEventType, auditEventTypes } from '../domain/audit.js';
import { auditPageSize } from '../domain/auditLog.js';
import { isoDurationPattern, maxDurationText, parseIsoDurationMs } from '../lib/duration.js';
import { controlCharacterIn, controlCharacterMessage } from '../lib/text.js';

/**
 * Every text field starts from one of these two, so NUL and the other C0 controls are refused at the
 * edge with a 400 naming the field (lib/text.ts says why); free text may keep tab and line breaks.
 */
const textWithout = (freeText: boolean) =>
  z.string().superRefine((value, ctx) => {
    const code = controlCharacterIn(value, freeText);
    if (code !== undefined) ctx.addIssue({ code: 'custom', message: controlCharacterMessage(code) });
  });
export const plainText = () => textWithout(false);
export const freeText = () => textWithout(true);

const email = plainText()
  .trim()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email({ error: 'must be an email address' }))
  .meta({ format: 'email', example: 'alice@example.com' });
const domain = plainText()
  .trim()
  .toLowerCase()
  // Lowercased before the check, so the upper-case letters never matter here; they are in the classes so that the
  // pattern published in the OpenAPI document (which cannot say "lowercase first") accepts what the API accepts.
  .regex(/^(?=.{1,253}$)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$/, 'must be a domain name such as example.com')
  .meta({ example: 'example.com' });
const accountSid = z
  .string()
  .regex(idPattern('account'), `must be an account SID (${describeId('account')})`)
  .meta({ example: 'AC0123456789abcdef0123456789abcdef' });
export const userSidSchema = z
  .string()
  .regex(idPattern('user'), `must be a user SID (${describeId('user')})`)
  .meta({ example: 'US0123456789abcdef0123456789abcdef' });

export const createAccountBody = z
  .strictObject({ name: plainText().trim().min(1, 'must not be empty').max(200) })
  .meta({ id: 'CreateAccountRequest' });

export const createUserBody = z
  .strictObject({
    email,
    password: plainText().min(8, 'must be at least 8 characters').max(1024).optional(),
    accountSids: z.array(accountSid).max(1000).optional(),
  })
  .meta({ id: 'CreateUserRequest' });

export const setUserSsoBody = z
  .strictObject({
    state: z.enum(ssoStates),
    connectionId: plainText().min(1).max(100).optional(),
    reason: freeText().trim().min(1, 'must say why').max(1000).meta({ description: 'Why: kept in the audit event; required' }),
  })
  .meta({ id: 'SetUserSsoRequest', description: "Break-glass and manual changes of a user's SSO state; audited with the reason." });

/** The console's break-glass form: back to a password (none) or to SSO or password (enabled), with the reason. */
export const breakGlassForm = z.object({
  state: z.enum(['enabled', 'none'], { error: 'choose how the user may sign in' }),
  reason: setUserSsoBody.shape.reason,
});

export const userLookupQuery = z
  .strictObject({
    email: plainText().trim().min(1, 'must not be empty').max(254).optional().meta({ description: 'Matched case-insensitively' }),
    sid: userSidSchema.optional(),
  })
  .refine((q) => (q.email === undefined) !== (q.sid === undefined), { message: 'give exactly one of email or sid', path: ['email'] });

/** A time filter: a date (midnight UTC) or an ISO 8601 time; without an offset it is UTC. */
const auditTime = plainText()
  .trim()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$/,
    'must be a date or an ISO 8601 time such as 2026-12-04T09:30Z',
  )
  .transform((value) => new Date(/T[^Z+-]*$/.test(value) ? `${value}Z` : value))
  .refine((date) => !Number.isNaN(date.getTime()), 'must be a real date and time')
  .meta({ example: '2026-12-04T09:30:00Z' });

export const auditEventsQuery = z
  .strictObject({
    userSid: userSidSchema.optional(),
    connectionId: plainText()
      .regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be a connection ID (conn_…)')
      .optional(),
    onboardingId: plainText()
      .regex(idPattern('onboarding'), `must be an onboarding ID (${describeId('onboarding')})`)
      .optional(),
    type: z
      .enum(Object.keys(auditEventTypes) as [AuditEventType, ...AuditEventType[]], {
        error: 'must be an audit event type such as login.refused or user.sso_state_changed',
      })
      .optional(),
    from: auditTime.optional().meta({ description: 'Events at or after this time' }),
    to: auditTime.optional().meta({ description: 'Events before this time' }),
    cursor: plainText().max(200).optional().meta({ description: 'The nextCursor of the page before, with the same filters' }),
    limit: z.coerce
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(auditPageSize.max, `must be at most ${auditPageSize.max}`)
      .default(auditPageSize.default),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { message: 'must be later than from', path: ['to'] });

const isoDuration = (name: string) =>
  z
    .string()
    .refine((value) => isoDurationPattern.test(value), {
      message: `${name} must be an ISO 8601 duration such as PT2S or P3D`,
      abort: true,
    })
    .refine((value) => parseIsoDurationMs(value) !== undefined, `${name} must be at most ${maxDurationText}`)
    .transform((value) => parseIsoDurationMs(value) as number)
    .refine((ms) => ms >= 1000, `${name} must be at least one second`)
    .meta({
      pattern: isoDurationPattern.source,
      description: `ISO 8601 duration in weeks, days, hours, minutes and seconds (no years or months), at least one second and at most ${maxDurationText}`,
      examples: ['PT2S', 'PT1H', 'P3D', 'P1DT12H'],
    });

export const onboardingOptionsSchema = z
  .strictObject({
    reminderEvery: isoDuration('reminderEvery').prefault('P1D'),
    approvalTimeout: isoDuration('approvalTimeout').prefault('P7D'),
    notifyUsers: z.boolean().default(true),
    batchSize: z.number().int().min(1).max(10_000).default(500).meta({ description: 'Users enabled or enforced per batch' }),
  })
  .meta({ id: 'OnboardingOptions' });

export const createOnboardingBody = z
  .strictObject({
    customerName: plainText().trim().min(1, 'must not be empty').max(200),
    customerId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 letters, digits, dots, dashes or underscores')
      .optional(),
    adminEmail: email,
    emailDomains: z.array(domain).min(1, 'must name at least one domain').max(100),
    options: onboardingOptionsSchema.prefault({}),
  })
  .meta({ id: 'CreateOnboardingRequest' });

const emailAttribute = z
  .string()
  .regex(/^[\x21-\x7e]{1,256}$/, 'emailAttribute must be 1-256 printable characters without spaces')
  .optional()
  .meta({ description: 'The SAML attribute that carries the email address, when the NameID does not' });

export const idpConfigFieldsBody = z
  .strictObject({
    entityId: plainText().trim().min(1, 'must not be empty').max(1024),
    ssoUrl: plainText().trim().min(1, 'must not be empty').max(2048),
    ssoBinding: z.enum(ssoBindings),
    certificates: z.array(freeText().min(1).max(16_384)).min(1, 'at least one certificate is required').max(10),
    logoutRedirectUrl: plainText().trim().max(2048).optional(),
    emailAttribute,
  })
  .meta({ id: 'IdpConfigFieldsRequest', description: 'The IdP details field by field' });

export const idpConfigUrlBody = z
  .strictObject({
    metadataUrl: plainText().trim().min(1).max(2048),
    emailAttribute,
  })
  .meta({ id: 'IdpConfigUrlRequest', description: 'Where the service fetches the IdP metadata document' });

/** The media types an IdP metadata document may be posted as to `idp-config`. */
export const idpMetadataTypes = ['application/samlmetadata+xml', 'text/xml', 'application/xml'];

export const idpConfigQuery = z.object({ emailAttribute });

export const pilotUsersBody = z
  .strictObject({ emails: z.array(email).min(1, 'name at least one pilot user').max(100) })
  .meta({ id: 'PilotUsersRequest' });

const send = z
  .boolean()
  .optional()
  .meta({ description: 'false builds a draft to preview; POST /api/migration-lists/{listId}/send mails it for review' });

export const migrationListBody = z
  .discriminatedUnion('method', [
    z.strictObject({ method: z.literal('domain'), domain, send }),
    z.strictObject({
      method: z.literal('userSids'),
      userSids: z.array(userSidSchema).min(1, 'name at least one user SID').max(200_000),
      send,
    }),
    z.strictObject({
      method: z.literal('accountSids'),
      accountSids: z.array(accountSid).min(1, 'name at least one account SID').max(10_000),
      send,
    }),
  ])
  .meta({ id: 'MigrationListRequest', description: 'Who is on the migration list: everyone with the domain, or named users or accounts' });

export const migrationListId = z.string().regex(idPattern('migrationList'), `a migration list ID is ${describeId('migrationList')}`);

export const migrationListQuery = z.object({
  cursor: plainText().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const cancelBody = z
  .strictObject({
    reason: freeText().trim().min(1, 'must say why').max(1000),
    revertTo: z
      .enum(revertTargets)
      .optional()
      .meta({ description: 'Where the users this onboarding enforced go back to: enabled (the default), none, or keep them enforced' }),
  })
  .meta({ id: 'CancelRequest' });

export const domainParam = domain;

export const domainOverrideBody = z
  .strictObject({ reason: freeText().trim().min(1, 'must say why the DNS check is overridden').max(1000) })
  .meta({ id: 'DomainOverrideRequest', description: "Support's override of a domain's DNS verification; audited with the reason" });

/** The dashboard's override form: the same reason, and the domain as a field. */
export const domainOverrideForm = domainOverrideBody.extend({ domain: domainParam });

export const releaseUserBody = z
  .strictObject({ reason: freeText().trim().min(1, 'must say why the user is released').max(1000) })
  .meta({ id: 'ReleaseUserRequest', description: 'Frees a user from their SSO connection so another onboarding may list them; audited' });

export const approvalForm = z.object({
  decision: z.enum(approvalDecisions, { error: 'decision must be approve or reject' }),
  /** The digest of what the page showed (its pilot set or go-ahead counts); absent from a script's post. */
  shown: z
    .string()
    .regex(/^[0-9a-f]{32}$/, 'shown must be the digest the page carried')
    .optional(),
  reason: freeText().trim().max(2000).optional(),
  /** The users ticked on the page shown, one field each (a page shows 100). */
  exclude: z.union([userSidSchema, z.array(userSidSchema).max(1000)]).optional(),
  /** The users ticked on the list's other pages, in one field: SIDs separated by spaces or commas. */
  excluded: z
    .string()
    .transform((value) => value.split(/[\s,]+/).filter(Boolean))
    .pipe(z.array(userSidSchema))
    .optional(),
});

/** Why support changes a live connection: required, kept in the audit event. */
const changeReason = freeText().trim().min(1, 'must say why').max(1000).meta({ description: 'Why: kept in the audit event' });

export const connectionParams = z.object({
  id: z
    .string()
    .regex(idPattern('connection'), `must be a connection ID (${describeId('connection')})`)
    .meta({ example: 'conn_0123456789abcdef01234567' }),
});
export const certificateParams = connectionParams.extend({
  fingerprintSha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256 fingerprint (64 hex digits)')
    .meta({ description: "The certificate's SHA-256 fingerprint, as GET /api/connections/{id} shows it" }),
});

export const connectionEditBody = z
  .strictObject({
    ssoUrl: plainText().trim().min(1, 'must not be empty').max(2048).optional(),
    ssoBinding: z.enum(ssoBindings).optional(),
    logoutRedirectUrl: plainText().trim().max(2048).nullable().optional().meta({ description: 'null removes it' }),
    // Checked by the domain with the other fields, so that every problem of an edit comes back in one 422.
    emailAttribute: plainText()
      .max(256)
      .nullable()
      .optional()
      .meta({ description: 'The SAML attribute that carries the email address; null: the NameID (format emailAddress) does' }),
    metadataUrl: plainText().trim().max(2048).nullable().optional().meta({ description: "The IdP's metadata URL; null: none" }),
    reason: changeReason,
  })
  .meta({ id: 'ConnectionEditRequest', description: "Changes to a live connection's IdP details; the fields left out stay as they are" });

export const certificateBody = z
  .strictObject({ certificate: freeText().min(1).max(16_384).meta({ description: 'PEM or base64 DER' }), reason: changeReason })
  .meta({ id: 'CertificateRequest' });

export const changeReasonBody = z.strictObject({ reason: changeReason }).meta({ id: 'ChangeReasonRequest' });
