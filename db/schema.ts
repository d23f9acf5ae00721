import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import {
  approvalSteps,
  authMethods,
  certificateStates,
  connectionStatuses,
  listStatuses,
  mailStatuses,
  migrationMethods,
  ssoBindings,
  ssoStates,
  stages,
} from '../contract/vocabulary.js';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const tstz = (name: string) => timestamp(name, { withTimezone: true });

// The enums are the contract's arrays (contract/vocabulary.ts): a word added there is a new migration here.
export const ssoState = pgEnum('sso_state', ssoStates);
export const ssoBinding = pgEnum('sso_binding', ssoBindings);
export const connectionStatus = pgEnum('connection_status', connectionStatuses);
export const onboardingStage = pgEnum('onboarding_stage', stages);
export const approvalStep = pgEnum('approval_step', approvalSteps);
export const migrationMethod = pgEnum('migration_method', migrationMethods);
export const migrationListStatus = pgEnum('migration_list_status', listStatuses);
export const mailStatus = pgEnum('mail_status', mailStatuses);
export const authMethod = pgEnum('auth_method', authMethods);
export const certificateState = pgEnum('certificate_state', certificateStates);

export const accounts = pgTable(
  'accounts',
  {
    sid: text('sid').primaryKey(),
    name: text('name').notNull(),
    createdAt: createdAt(),
  },
  (t) => [check('accounts_sid_format', sql`${t.sid} ~ '^AC[0-9a-f]{32}$'`)],
);

export const ssoConnections = pgTable(
  'sso_connections',
  {
    id: text('id').primaryKey(),
    onboardingId: text('onboarding_id'),
    customerName: text('customer_name').notNull(),
    /** Both null while the connection waits for its IdP side (it exists from the onboarding's start, issue #14). */
    idpEntityId: text('idp_entity_id'),
    ssoUrl: text('sso_url'),
    ssoBinding: ssoBinding('sso_binding').notNull(),
    logoutRedirectUrl: text('logout_redirect_url'),
    /** null: the NameID (format emailAddress) carries the email; otherwise the attribute's name. */
    emailAttribute: text('email_attribute'),
    emailDomains: text('email_domains').array().notNull().default(sql`'{}'::text[]`),
    /** Where the IdP publishes its metadata, when the customer gave it: the certificate refresh reads it. */
    idpMetadataUrl: text('idp_metadata_url'),
    status: connectionStatus('status').notNull().default('draft'),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('sso_connections_onboarding_uq').on(t.onboardingId)],
);

export const connectionCertificates = pgTable(
  'connection_certificates',
  {
    connectionId: text('connection_id')
      .notNull()
      .references(() => ssoConnections.id, { onDelete: 'cascade' }),
    fingerprintSha256: text('fingerprint_sha256').notNull(),
    pem: text('pem').notNull(),
    notBefore: tstz('not_before').notNull(),
    notAfter: tstz('not_after').notNull(),
    state: certificateState('state').notNull().default('current'),
    retiredAt: tstz('retired_at'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.fingerprintSha256] })],
);

export const users = pgTable(
  'users',
  {
    sid: text('sid').primaryKey(),
    email: text('email').notNull(),
    passwordHash: text('password_hash'),
    ssoState: ssoState('sso_state').notNull().default('none'),
    connectionId: text('connection_id').references(() => ssoConnections.id),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check('users_sid_format', sql`${t.sid} ~ '^US[0-9a-f]{32}$'`),
    // Emails match case-insensitively, so uniqueness must too.
    uniqueIndex('users_email_lower_uq').on(sql`lower(${t.email})`),
    // Building a migration list by domain scans this, not the table.
    index('users_email_domain_idx').on(sql`lower(split_part(${t.email}, '@', 2))`),
    check('users_sso_needs_connection', sql`${t.ssoState} = 'none' OR ${t.connectionId} IS NOT NULL`),
  ],
);

export const memberships = pgTable(
  'memberships',
  {
    accountSid: text('account_sid')
      .notNull()
      .references(() => accounts.sid, { onDelete: 'cascade' }),
    userSid: text('user_sid')
      .notNull()
      .references(() => users.sid, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.accountSid, t.userSid] }), index('memberships_user_idx').on(t.userSid)],
);

/** AuthnRequest IDs we issued, so any API instance can finish a login another one started. */
export const samlRequests = pgTable(
  'saml_requests',
  {
    id: text('id').primaryKey(),
    connectionId: text('connection_id').notNull(),
    /** `test`: a test sign-in (issue #14), answered with a diagnosis instead of a session. */
    purpose: text('purpose').notNull().default('login'),
    createdAt: createdAt(),
    expiresAt: tstz('expires_at').notNull(),
  },
  (t) => [index('saml_requests_expires_idx').on(t.expiresAt)],
);

/**
 * The diagnosis of each test sign-in (issue #14, item 4), without the raw response: every check with its
 * fix, and the facts read (what is signed, algorithms, clock offset, NameID, attributes, the email found).
 */
export const connectionTests = pgTable(
  'connection_tests',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    connectionId: text('connection_id')
      .notNull()
      .references(() => ssoConnections.id, { onDelete: 'cascade' }),
    onboardingId: text('onboarding_id'),
    at: tstz('at').notNull().defaultNow(),
    passed: boolean('passed').notNull(),
    vendor: text('vendor').notNull(),
    email: text('email'),
    emailMatchesUser: boolean('email_matches_user').notNull(),
    clockOffsetMs: integer('clock_offset_ms'),
    report: jsonb('report').notNull(),
    traceId: text('trace_id'),
  },
  (t) => [index('connection_tests_connection_idx').on(t.connectionId, t.at)],
);

/** Each assertion ID is accepted once per connection: the primary key makes replay refusal atomic. */
export const consumedAssertions = pgTable(
  'consumed_assertions',
  {
    connectionId: text('connection_id').notNull(),
    assertionId: text('assertion_id').notNull(),
    consumedAt: createdAt(),
    expiresAt: tstz('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.assertionId] }), index('consumed_assertions_expires_idx').on(t.expiresAt)],
);

export const sessions = pgTable(
  'sessions',
  {
    /** SHA-256 of the cookie value; the cookie itself is never stored. */
    tokenHash: text('token_hash').primaryKey(),
    userSid: text('user_sid')
      .notNull()
      .references(() => users.sid, { onDelete: 'cascade' }),
    authMethod: authMethod('auth_method').notNull(),
    connectionId: text('connection_id'),
    createdAt: createdAt(),
    expiresAt: tstz('expires_at').notNull(),
    endedAt: tstz('ended_at'),
  },
  (t) => [index('sessions_user_idx').on(t.userSid)],
);

/** A listing projection of the onboarding workflows; the workflow is the source of truth for its progress. */
export const onboardings = pgTable(
  'onboardings',
  {
    id: text('id').primaryKey(),
    workflowId: text('workflow_id').notNull(),
    customerName: text('customer_name').notNull(),
    /** The CustomerId search attribute of its workflow (null for onboardings started before it was kept here). */
    customerId: text('customer_id'),
    adminEmail: text('admin_email').notNull(),
    emailDomains: text('email_domains').array().notNull(),
    stage: onboardingStage('stage').notNull().default('config_intake'),
    options: jsonb('options').notNull(),
    connectionId: text('connection_id').references(() => ssoConnections.id),
    createdAt: createdAt(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('onboardings_workflow_uq').on(t.workflowId), index('onboardings_stage_idx').on(t.stage)],
);

export const migrationLists = pgTable(
  'migration_lists',
  {
    id: text('id').primaryKey(),
    onboardingId: text('onboarding_id')
      .notNull()
      .references(() => onboardings.id),
    version: integer('version').notNull(),
    method: migrationMethod('method').notNull(),
    params: jsonb('params').notNull(),
    status: migrationListStatus('status').notNull().default('building'),
    total: integer('total').notNull().default(0),
    flagged: integer('flagged').notNull().default(0),
    excluded: integer('excluded').notNull().default(0),
    problems: jsonb('problems').notNull().default(sql`'[]'::jsonb`),
    rejectionReason: text('rejection_reason'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('migration_lists_version_uq').on(t.onboardingId, t.version)],
);

export const migrationListEntries = pgTable(
  'migration_list_entries',
  {
    listId: text('list_id')
      .notNull()
      .references(() => migrationLists.id, { onDelete: 'cascade' }),
    userSid: text('user_sid')
      .notNull()
      .references(() => users.sid),
    email: text('email').notNull(),
    flags: text('flags').array().notNull().default(sql`'{}'::text[]`),
    excluded: boolean('excluded').notNull().default(false),
    /** When the rollout reached this entry; `*ByList` says whether it actually changed the user. */
    enabledAt: tstz('enabled_at'),
    enforcedAt: tstz('enforced_at'),
    enabledByList: boolean('enabled_by_list').notNull().default(false),
    enforcedByList: boolean('enforced_by_list').notNull().default(false),
    /** The user's SSO state and connection before this list first changed them, which a cancel restores. */
    previousSsoState: ssoState('previous_sso_state'),
    previousConnectionId: text('previous_connection_id'),
  },
  (t) => [primaryKey({ columns: [t.listId, t.userSid] })],
);

export const approvalTokens = pgTable(
  'approval_tokens',
  {
    id: text('id').primaryKey(),
    /** SHA-256 of the token in the link; the token itself is only ever in the mail. */
    tokenHash: text('token_hash').notNull(),
    onboardingId: text('onboarding_id')
      .notNull()
      .references(() => onboardings.id),
    step: approvalStep('step').notNull(),
    approverEmail: text('approver_email').notNull(),
    /** The migration list version (or other subject) this approval is about; a newer one makes it stale. */
    subjectVersion: integer('subject_version'),
    expiresAt: tstz('expires_at').notNull(),
    usedAt: tstz('used_at'),
    decision: text('decision'),
    supersededAt: tstz('superseded_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('approval_tokens_hash_uq').on(t.tokenHash), index('approval_tokens_onboarding_idx').on(t.onboardingId)],
);

/**
 * The customer administrator's setup page (`/setup/:token`, issue #14): a capability like an approval
 * link (`<id>.<mac>`, only its hash stored), one per onboarding at a time, valid until it expires, support
 * revokes it, or the connection goes active.
 */
export const setupLinks = pgTable(
  'setup_links',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    onboardingId: text('onboarding_id')
      .notNull()
      .references(() => onboardings.id),
    connectionId: text('connection_id')
      .notNull()
      .references(() => ssoConnections.id, { onDelete: 'cascade' }),
    expiresAt: tstz('expires_at').notNull(),
    revokedAt: tstz('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('setup_links_hash_uq').on(t.tokenHash), index('setup_links_onboarding_idx').on(t.onboardingId)],
);

/**
 * The users an approver excluded with one decision. Written with the claim of the link, so a decision
 * of any size reaches the workflow as the link's ID and a count, never as a list in its history.
 */
export const approvalExclusions = pgTable(
  'approval_exclusions',
  {
    tokenId: text('token_id')
      .notNull()
      .references(() => approvalTokens.id, { onDelete: 'cascade' }),
    userSid: text('user_sid').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tokenId, t.userSid] })],
);

/**
 * Which onboarding (and its connection) serves an email domain: the primary key makes a second claim
 * impossible, so discovery by domain has one answer. A claim is verified (DNS TXT record, or support's
 * audited override) before its connection may go active, pilot users be enabled or a list be built.
 */
export const domainClaims = pgTable(
  'domain_claims',
  {
    domain: text('domain').primaryKey(),
    onboardingId: text('onboarding_id').references(() => onboardings.id),
    connectionId: text('connection_id').references(() => ssoConnections.id),
    claimedAt: createdAt(),
    verifiedAt: tstz('verified_at'),
    /** `dns` (the TXT record was found), `support` (an override with a reason) or `direct` (a connection created without an onboarding). */
    verificationMethod: text('verification_method', { enum: ['dns', 'support', 'direct', 'legacy'] }),
    verifiedBy: text('verified_by'),
    verificationNote: text('verification_note'),
  },
  (t) => [
    index('domain_claims_onboarding_idx').on(t.onboardingId),
    index('domain_claims_connection_idx').on(t.connectionId),
    check('domain_claims_holder', sql`${t.onboardingId} IS NOT NULL OR ${t.connectionId} IS NOT NULL`),
    check('domain_claims_lowercase', sql`${t.domain} = lower(${t.domain})`),
  ],
);

export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: tstz('at').notNull().defaultNow(),
    type: text('type').notNull(),
    reasonCode: text('reason_code'),
    traceId: text('trace_id'),
    actor: text('actor'),
    userSid: text('user_sid'),
    connectionId: text('connection_id'),
    onboardingId: text('onboarding_id'),
    detail: jsonb('detail').notNull().default(sql`'{}'::jsonb`),
  },
  (t) => [
    index('audit_events_onboarding_idx').on(t.onboardingId, t.at),
    index('audit_events_user_idx').on(t.userSid, t.at),
    index('audit_events_type_idx').on(t.type, t.at),
    // The audit log's other filters and its unfiltered view, in its keyset order (domain/auditLog.ts).
    index('audit_events_connection_idx').on(t.connectionId, t.at, t.id),
    index('audit_events_at_idx').on(t.at, t.id),
  ],
);

/** Every mail is written here before it is sent, so a retry never sends it twice. */
export const mailOutbox = pgTable(
  'mail_outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    idempotencyKey: text('idempotency_key').notNull(),
    onboardingId: text('onboarding_id'),
    kind: text('kind').notNull(),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    textBody: text('text_body').notNull(),
    htmlBody: text('html_body').notNull(),
    status: mailStatus('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: createdAt(),
    sentAt: tstz('sent_at'),
  },
  (t) => [uniqueIndex('mail_outbox_idempotency_uq').on(t.idempotencyKey)],
);

/** Failed password logins per key (an email or a client address) in the current window, shared by all API instances. */
export const loginThrottle = pgTable('login_throttle', {
  key: text('key').primaryKey(),
  windowStart: tstz('window_start').notNull(),
  failures: integer('failures').notNull().default(0),
});

/** The pilot users of an onboarding and when each first signed in through SSO (the workflow is told once). */
export const pilotUsers = pgTable(
  'pilot_users',
  {
    onboardingId: text('onboarding_id')
      .notNull()
      .references(() => onboardings.id),
    userSid: text('user_sid')
      .notNull()
      .references(() => users.sid),
    email: text('email').notNull(),
    nominatedAt: createdAt(),
    firstLoginAt: tstz('first_login_at'),
    /** The pilot switched this user on (they had no SSO before), so a cancel with revertTo none switches them off. */
    enabledByPilot: boolean('enabled_by_pilot').notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.onboardingId, t.userSid] }), index('pilot_users_user_idx').on(t.userSid)],
);

/** Secrets the service makes for itself when the environment gives none (see domain/approvals.ts). */
export const serviceSecrets = pgTable('service_secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: createdAt(),
});

/**
 * The certificate lifecycle's memory of each connection (domain/certificateLifecycle.ts): when its IdP
 * metadata was last read and, while reading it fails, the failure (support is mailed once per new failure).
 */
export const metadataRefreshes = pgTable('metadata_refreshes', {
  connectionId: text('connection_id')
    .primaryKey()
    .references(() => ssoConnections.id, { onDelete: 'cascade' }),
  checkedAt: tstz('checked_at').notNull(),
  failureCode: text('failure_code'),
  failureMessage: text('failure_message'),
  failingSince: tstz('failing_since'),
});

/** Certificates that verify logins but are gone from the IdP's metadata: retired once the grace period from `missingSince` is over. */
export const certificateAbsences = pgTable(
  'certificate_absences',
  {
    connectionId: text('connection_id').notNull(),
    fingerprintSha256: text('fingerprint_sha256').notNull(),
    missingSince: tstz('missing_since').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.connectionId, t.fingerprintSha256] }),
    foreignKey({
      name: 'certificate_absences_certificate_fk',
      columns: [t.connectionId, t.fingerprintSha256],
      foreignColumns: [connectionCertificates.connectionId, connectionCertificates.fingerprintSha256],
    }).onDelete('cascade'),
  ],
);

/** Expiry reminders given, once per certificate and threshold (seconds before notAfter), so none is sent twice. */
export const certificateReminders = pgTable(
  'certificate_reminders',
  {
    connectionId: text('connection_id')
      .notNull()
      .references(() => ssoConnections.id, { onDelete: 'cascade' }),
    fingerprintSha256: text('fingerprint_sha256').notNull(),
    thresholdSeconds: integer('threshold_seconds').notNull(),
    /** false: a shorter threshold was crossed at the same time and its reminder went out instead. */
    mailed: boolean('mailed').notNull(),
    at: tstz('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.fingerprintSha256, t.thresholdSeconds] })],
);
