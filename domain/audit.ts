import type { Db } from '../db/client.js';
import { auditEvents } from '../db/schema.js';

/**
 * Every kind of audit event, with what it records: the catalogue audit readers (support, the dashboard,
 * exports) can rely on, as domain/saml/refusal.ts is for login refusals. A type not listed here does
 * not compile where an event is written.
 */
export const auditEventTypes = {
  'login.succeeded': 'an end user signed in (password or SSO); reason code ok',
  'login.refused': 'a sign-in was refused; the reason code says why (domain/saml/refusal.ts)',
  'onboarding.started': 'support started an onboarding',
  'onboarding.setup_link_issued':
    'support issued a new setup link for the customer administrator (older ones stop working); the reason is in the detail',
  'onboarding.stage': 'an onboarding entered a stage',
  'onboarding.approval_overdue': 'an approval was not decided in time and was escalated to support',
  'onboarding.cancel_requested': 'support asked to cancel, with the reason and where users go back to',
  'onboarding.completed': 'SSO is enforced for the approved list; the counts are in the detail',
  'onboarding.cancelled': 'the onboarding ended cancelled, its changes reverted as asked',
  'approval.decided': "a customer administrator's decision on a link reached the workflow",
  'connection.saved': 'the IdP configuration was accepted and its connection saved',
  'connection.disabled': 'a connection was switched off (by support, or because its onboarding was cancelled)',
  'connection.enabled': 'support switched a disabled connection on again',
  'connection.test_sign_in':
    'a test sign-in was diagnosed (no session made); reason code ok or the first failed check, the detail lists every failed one',
  'connection.updated': "support changed a connection's IdP details; from and to are in the detail",
  'connection.certificate_added': 'support added a signing certificate to a connection',
  'connection.certificate_removed': "support retired one of a connection's signing certificates",
  'connection.certificate_discovered': "the metadata refresh found a new signing certificate in the IdP's metadata and added it as next",
  'connection.certificate_promoted': 'the metadata refresh made a next certificate current, as every current one was retired',
  'connection.certificate_retired': "the metadata refresh retired a certificate gone from the IdP's metadata for the whole grace period",
  'connection.metadata_refresh_failed':
    "the IdP's metadata could not be read or used (a new kind of failure; the code and message are in the detail)",
  'connection.certificate_expiry_reminder':
    "the customer administrator and support were reminded that the connection's last certificate expires",
  'domain.verified': "an email domain was proven the customer's by its DNS TXT record",
  'domain.verification_overridden': 'support marked a domain verified without DNS, with a reason',
  'domain.released': 'a domain claim was freed (its onboarding ended without it)',
  'migration_list.built': 'a migration list version was built (or drafted)',
  'migration_list.sent': 'a draft list was sent to the customer for review',
  'onboarding.pilot_users_removed': 'support took users out of the pilot, with a reason (those it had switched on went back to no SSO)',
  'onboarding.approval_link_resent': 'support mailed a pending approval link to the customer administrator again',
  'user.sso_enabled': 'SSO was switched on for a user (the pilot or the list)',
  'user.sso_enforced': 'SSO was enforced for a user: their password no longer signs in',
  'user.sso_reverted': 'a cancel put a user back to the SSO state they had before',
  'user.sso_state_changed': "support changed a user's SSO state by hand (break-glass), with a reason",
  'user.released': 'support freed a user from their SSO connection, with a reason',
  'support.signed_in': 'a support person signed in to the console',
  'support.signed_out': 'a support person signed out of the console',
  'support.sign_in_refused': 'a console sign-in was refused',
  'support.api_refused': 'a support API call was refused (missing or wrong token)',
} as const;
export type AuditEventType = keyof typeof auditEventTypes;

/** An audit event type checked against the catalogue, for events written by SQL statements. */
export const auditType = <T extends AuditEventType>(type: T): T => type;

export interface AuditEvent {
  type: AuditEventType;
  reasonCode?: string;
  traceId?: string;
  actor?: string;
  userSid?: string;
  connectionId?: string;
  onboardingId?: string;
  detail?: Record<string, unknown>;
  at?: Date;
}

/** Appends one audit event; callers pass a transaction when the event must commit with the change it records. */
export async function recordAuditEvent(db: Pick<Db, 'insert'>, event: AuditEvent): Promise<void> {
  await db.insert(auditEvents).values({ ...event, detail: event.detail ?? {}, at: event.at ?? new Date() });
}
