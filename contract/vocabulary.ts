// The words every layer shares: stages, steps, states and ID formats. A leaf module with no imports,
// so the database schema, the zod schemas, the workflow sandbox, pages and mails all read the same arrays.

export const stages = [
  'config_intake',
  'sp_details_sent',
  'pilot',
  'migration_list',
  'list_review',
  'enabling',
  'awaiting_go_ahead',
  'enforcing',
  'completed',
  'cancelled',
] as const;
export type Stage = (typeof stages)[number];

/** The steps a customer administrator decides through an emailed link. */
export const approvalSteps = ['pilot', 'migration_list', 'go_ahead'] as const;
export type ApprovalStep = (typeof approvalSteps)[number];

export const approvalDecisions = ['approve', 'reject'] as const;
export type ApprovalDecisionKind = (typeof approvalDecisions)[number];

/** A user's SSO state: none (password only), enabled (SSO or password), enforced (SSO only). */
export const ssoStates = ['none', 'enabled', 'enforced'] as const;
export type SsoState = (typeof ssoStates)[number];

export const authMethods = ['password', 'sso'] as const;
export type AuthMethod = (typeof authMethods)[number];

export const ssoBindings = ['redirect', 'post'] as const;
export type SsoBinding = (typeof ssoBindings)[number];

export const connectionStatuses = ['draft', 'active', 'disabled'] as const;
export type ConnectionStatus = (typeof connectionStatuses)[number];

/**
 * A signing certificate of a connection: `current` verifies logins; `next` verifies them too and is the
 * IdP's announced successor (from its metadata); `retired` no longer verifies and is kept for the record.
 */
export const certificateStates = ['current', 'next', 'retired'] as const;
export type CertificateState = (typeof certificateStates)[number];

export const migrationMethods = ['domain', 'userSids', 'accountSids'] as const;
export type MigrationMethod = (typeof migrationMethods)[number];

export const listStatuses = ['building', 'ready', 'approved', 'rejected', 'draft'] as const;
export type ListStatus = (typeof listStatuses)[number];

/** Where a cancel leaves the users the list enabled: back to password (none), enabled, or as they are. */
export const revertTargets = ['enabled', 'none', 'keep'] as const;
export type RevertTarget = (typeof revertTargets)[number];

export const mailStatuses = ['pending', 'sent', 'logged', 'failed'] as const;

export const pilotRefusalCodes = ['outside_domains', 'other_connection'] as const;
export type PilotRefusalCode = (typeof pilotRefusalCodes)[number];

/**
 * ID formats: a prefix and a fixed number of lowercase hex digits. Minted by `mintId` (from random
 * hex the caller supplies, so the workflow can use its deterministic uuid4) and matched by `idPattern`.
 */
export const idFormats = {
  onboarding: { prefix: 'ob_', hexDigits: 24 },
  connection: { prefix: 'conn_', hexDigits: 24 },
  migrationList: { prefix: 'ml_', hexDigits: 24 },
  approvalToken: { prefix: 'apr_', hexDigits: 32 },
  setupLink: { prefix: 'setup_', hexDigits: 32 },
  account: { prefix: 'AC', hexDigits: 32 },
  user: { prefix: 'US', hexDigits: 32 },
} as const;
export type IdKind = keyof typeof idFormats;

export function idPattern(kind: IdKind): RegExp {
  const { prefix, hexDigits } = idFormats[kind];
  return new RegExp(`^${prefix}[0-9a-f]{${hexDigits}}$`);
}

export function isId(kind: IdKind, value: string): boolean {
  return idPattern(kind).test(value);
}

/** `hex` is random lowercase hex of at least the kind's length (randomBytes, or uuid4 without dashes). */
export function mintId(kind: IdKind, hex: string): string {
  const { prefix, hexDigits } = idFormats[kind];
  const digits = hex.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (digits.length < hexDigits) throw new Error(`an ID of kind ${kind} needs ${hexDigits} hex digits`);
  return prefix + digits.slice(0, hexDigits);
}

export function describeId(kind: IdKind): string {
  const { prefix, hexDigits } = idFormats[kind];
  return `${prefix} and ${hexDigits} lowercase hex digits`;
}
