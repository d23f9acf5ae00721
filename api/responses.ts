// Response schemas of the support API: they describe what the routes send (in the OpenAPI document) and
// let tests check real responses against that description. Routes do not parse their output with them.
import { z } from 'zod';
import { diagnosisChecks, idpVendors, signedParts } from '../contract/diagnosis.js';
import {
  approvalSteps,
  authMethods,
  certificateStates,
  listStatuses,
  migrationMethods,
  pilotRefusalCodes,
  ssoBindings,
  ssoStates,
  stages,
} from '../contract/vocabulary.js';

const timestamp = z.iso.datetime({ offset: true }).meta({ description: 'ISO 8601 timestamp', example: '2026-01-31T09:30:00.000Z' });
const ssoState = z.enum(ssoStates);
const approvalStep = z.enum(approvalSteps);

export const stageSchema = z.enum(stages).meta({ id: 'Stage', description: 'Where the onboarding is; completed and cancelled are final' });

export const errorResponse = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable snake_case reason code', example: 'invalid_request' }),
      message: z.string().meta({ description: 'Safe to show to the caller' }),
      details: z
        .unknown()
        .optional()
        .meta({ description: 'invalid_request: [{path, message}] per problem; invalid_idp_config: [{field, code, message}]' }),
      traceId: z.string().meta({ description: 'Also in the X-Trace-Id header and in every log line of the request' }),
    }),
  })
  .meta({ id: 'Error' });

export const problemSchema = z
  .object({ field: z.string(), code: z.string(), message: z.string() })
  .meta({ id: 'Problem', description: 'One problem (or warning) found in an IdP configuration' });

export const accountCreatedResponse = z.object({ sid: z.string() }).meta({ id: 'AccountCreated' });

export const userCreatedResponse = z.object({ sid: z.string(), email: z.string() }).meta({ id: 'UserCreated' });

export const userResponse = z
  .object({ sid: z.string(), email: z.string(), ssoState, connectionId: z.string().nullable() })
  .meta({ id: 'User' });

export const userLookupResponse = z
  .object({
    items: z.array(
      z.object({
        sid: z.string(),
        email: z.string(),
        ssoState,
        connectionId: z.string().nullable(),
        lastSsoLoginAt: timestamp.nullable(),
        activeSessions: z.number().int().meta({ description: 'Sessions not ended nor expired' }),
      }),
    ),
  })
  .meta({ id: 'UserLookup', description: 'The users matching the lookup: none or one' });

export const auditEventSchema = z
  .object({
    id: z.string().meta({ description: 'Sequence number of the event' }),
    at: timestamp,
    type: z.string().meta({ description: 'One of the catalogue in domain/audit.ts' }),
    reasonCode: z.string().nullable(),
    traceId: z.string().nullable(),
    userSid: z.string().nullable(),
    connectionId: z.string().nullable(),
    onboardingId: z.string().nullable(),
    actor: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEvent' });

export const auditEventsResponse = z
  .object({
    items: z.array(auditEventSchema),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as cursor, with the same filters, for the next (older) page; null: no more' }),
  })
  .meta({ id: 'AuditEvents', description: 'Audit events, newest first' });

export const meResponse = z
  .object({ sid: z.string(), email: z.string(), authMethod: z.enum(authMethods), connectionId: z.string().nullable() })
  .meta({ id: 'Me', description: 'The signed-in user of the session cookie' });

export const onboardingStartedResponse = z
  .object({
    id: z.string(),
    stage: stageSchema,
    connection: z
      .object({
        id: z.string(),
        spEntityId: z.string(),
        acsUrl: z.string(),
        metadataUrl: z.string(),
        status: z.literal('pending'),
      })
      .meta({
        description: 'The connection exists from the start, SP side only, so the customer can create the application in their IdP first',
      }),
  })
  .meta({ id: 'OnboardingStarted' });

export const onboardingListItem = z
  .object({
    id: z.string(),
    customerName: z.string(),
    adminEmail: z.string(),
    emailDomains: z.array(z.string()),
    stage: stageSchema,
    connectionId: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'OnboardingListItem' });

export const onboardingListResponse = z
  .object({ items: z.array(onboardingListItem).meta({ description: 'The newest 500, newest first' }) })
  .meta({ id: 'OnboardingList' });

export const connectionSchema = z
  .object({
    id: z.string(),
    spEntityId: z.string(),
    acsUrl: z.string(),
    metadataUrl: z.string().meta({ description: "The SP metadata to give the customer's IdP" }),
    status: z.string(),
  })
  .meta({ id: 'Connection' });

export const certificateSchema = z
  .object({
    fingerprintSha256: z.string(),
    subject: z.string(),
    notBefore: timestamp,
    notAfter: timestamp,
    daysLeft: z.number().int().meta({ description: 'Whole days until notAfter; negative once expired' }),
    state: z.enum(certificateStates).meta({ description: 'current and next verify logins; retired no longer does' }),
  })
  .meta({ id: 'Certificate' });

export const connectionDetailResponse = z
  .object({
    id: z.string(),
    onboardingId: z.string().nullable(),
    status: z.enum(['pending', 'active', 'disabled']),
    spEntityId: z.string(),
    acsUrl: z.string(),
    metadataUrl: z.string(),
    domains: z.array(z.string()),
    idp: z.object({
      vendor: z
        .string()
        .nullable()
        .meta({ description: 'The IdP as its entity ID names it: entra, okta, google, adfs, keycloak, …, other; null while pending' }),
      entityId: z.string().nullable().meta({ description: 'Null while the connection waits for its IdP side' }),
      ssoUrl: z.string().nullable(),
      ssoBinding: z.enum(ssoBindings),
      logoutRedirectUrl: z.string().nullable(),
      emailAttribute: z.string().nullable(),
      metadataUrl: z.string().nullable(),
      certificates: z.array(certificateSchema),
    }),
    lastLoginAt: timestamp.nullable(),
    lastTest: z
      .lazy(() => testReportSchema)
      .nullable()
      .meta({ description: 'The newest test sign-in, or null' }),
  })
  .meta({ id: 'ConnectionDetail' });

/** A test sign-in's diagnosis (domain/testSignIns.ts), without the raw response. */
export const testReportSchema = z
  .object({
    at: timestamp,
    passed: z.boolean(),
    vendor: z.enum(idpVendors),
    checks: z.array(
      z.object({
        code: z.enum(diagnosisChecks),
        passed: z.boolean(),
        detail: z.string(),
        fix: z.string().optional().meta({ description: 'For a failed check: what to change, in the IdP’s own words' }),
      }),
    ),
    signed: z.enum(signedParts),
    email: z.string().nullable(),
    emailMatchesUser: z.boolean(),
    clockOffsetMs: z.number().nullable().meta({ description: 'The IdP’s clock minus ours' }),
  })
  .meta({ id: 'TestReport' });

export const connectionTestsResponse = z.object({ items: z.array(testReportSchema) }).meta({ id: 'ConnectionTests' });

export const connectionDisabledResponse = connectionDetailResponse
  .extend({ lockedOut: z.number().int().meta({ description: 'Users enforced on it, who now cannot sign in either way' }) })
  .meta({ id: 'ConnectionDisabled' });

export const pilotResponse = z
  .object({
    users: z.array(z.object({ sid: z.string(), email: z.string(), firstLoginAt: timestamp.nullable() })),
    unknownEmails: z.array(z.string()).meta({ description: 'Nominated emails that match no user' }),
    refused: z
      .array(z.object({ email: z.string(), code: z.enum(pilotRefusalCodes), message: z.string() }))
      .optional()
      .meta({ description: "Nominees not enabled: outside the onboarding's domains, or signing in through another connection" }),
    customerConfirmed: z.boolean(),
    supportConfirmed: z.boolean(),
  })
  .meta({ id: 'Pilot' });

export const migrationSchema = z
  .object({
    listId: z.string(),
    version: z.number().int(),
    method: z.enum(migrationMethods),
    total: z.number().int(),
    flagged: z.number().int(),
    excluded: z.number().int(),
    status: z.enum(listStatuses).meta({ description: '`draft`: built with send false, not yet sent for review' }),
    problems: z.array(z.object({ code: z.string(), message: z.string(), values: z.array(z.string()) })),
  })
  .meta({ id: 'MigrationList' });

export const summarySchema = z
  .object({
    onboardingId: z.string(),
    stage: stageSchema,
    cancelReason: z.string().nullable(),
    counts: z.object({
      listed: z.number().int(),
      excluded: z.number().int(),
      enabled: z.number().int(),
      enforced: z.number().int(),
      reverted: z.number().int(),
    }),
    keepingPasswords: z
      .object({ count: z.number().int(), emails: z.array(z.string()).meta({ description: 'The first 50, by email' }) })
      .optional()
      .meta({ description: 'At completion: users SSO is enabled for but not enforced (not on the approved list, or excluded)' }),
  })
  .meta({ id: 'OnboardingSummary', description: 'Who is where at the end' });

export const domainStatusSchema = z
  .object({
    domain: z.string(),
    verified: z.boolean(),
    method: z.enum(['dns', 'support', 'direct', 'legacy']).nullable().meta({ description: 'How ownership was shown' }),
    verifiedAt: timestamp.nullable(),
    record: z
      .object({ name: z.string(), type: z.literal('TXT'), value: z.string() })
      .meta({ description: 'The DNS TXT record the customer publishes to prove the domain is theirs' }),
  })
  .meta({ id: 'DomainStatus' });

export const domainsResponse = z.object({ domains: z.array(domainStatusSchema) }).meta({ id: 'Domains' });

export const domainCheckResponse = z
  .object({
    domains: z.array(
      z.object({
        domain: z.string(),
        verified: z.boolean(),
        method: z.string().nullable(),
        problem: z
          .object({ code: z.enum(['txt_record_missing', 'txt_record_mismatch', 'dns_lookup_failed']), message: z.string() })
          .optional(),
      }),
    ),
    allVerified: z.boolean(),
  })
  .meta({ id: 'DomainCheck' });

export const onboardingResponse = z
  .object({
    id: z.string(),
    customerName: z.string(),
    customerId: z
      .string()
      .nullable()
      .meta({ description: 'The CustomerId search attribute of its workflow (null for onboardings started before it was kept)' }),
    adminEmail: z.string(),
    emailDomains: z.array(z.string()),
    stage: stageSchema,
    problems: z.array(problemSchema).meta({ description: 'What keeps the onboarding from moving on, e.g. the last IdP configuration' }),
    connection: connectionSchema.nullable(),
    setupUrl: z.string().nullable().meta({
      description: "The customer administrator's setup page; null once the connection is active, or the link expired or was revoked",
    }),
    domains: z.array(domainStatusSchema).meta({ description: 'Each email domain: verified or not, and the TXT record that proves it' }),
    pilot: pilotResponse,
    migration: migrationSchema.nullable(),
    draft: migrationSchema
      .nullable()
      .meta({ description: 'A list built with send false, waiting for POST /api/migration-lists/{listId}/send' }),
    progress: z
      .object({ enabled: z.number().int(), enforced: z.number().int(), total: z.number().int() })
      .meta({ description: 'Users of the approved list (exclusions left out) enabled and enforced so far' }),
    pendingApprovals: z.array(z.object({ step: approvalStep, url: z.string(), expiresAt: timestamp })),
    events: z.array(z.object({ at: timestamp, type: z.string(), detail: z.string().optional() })),
    summary: summarySchema.nullable(),
    cancelReason: z.string().nullable(),
  })
  .meta({ id: 'Onboarding' });

export const idpConfigAcceptedResponse = z
  .object({ connection: connectionSchema, warnings: z.array(problemSchema) })
  .meta({ id: 'IdpConfigAccepted' });

export const migrationListPageResponse = z
  .object({
    items: z.array(z.object({ userSid: z.string(), email: z.string(), flags: z.array(z.string()), excluded: z.boolean() })),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  })
  .meta({ id: 'MigrationListPage' });

export const cancelledResponse = z
  .object({ id: z.string(), stage: stageSchema, cancelReason: z.string().nullable(), summary: summarySchema.nullable() })
  .meta({ id: 'Cancelled' });

export const setupLinkIssuedResponse = z.object({ setupUrl: z.string(), expiresAt: timestamp }).meta({ id: 'SetupLinkIssued' });
