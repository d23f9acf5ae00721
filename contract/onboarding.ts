// The onboarding workflow's contract: its messages, search-attribute keys and the DTOs they carry,
// shared by the workflow, the worker, the API and the CLI. No Node imports: it is bundled into the
// workflow sandbox. The words themselves (stages, steps, states, ID formats) are in vocabulary.ts.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ApprovalDecisionKind,
  ApprovalStep,
  ListStatus,
  MigrationMethod,
  PilotRefusalCode,
  RevertTarget,
  SsoBinding,
  Stage,
} from './vocabulary.js';

export * from './updateRefusals.js';
export * from './vocabulary.js';

export const searchAttributeTypes = { CustomerId: 'keyword', CustomerName: 'text', OnboardingStage: 'keyword' } as const;
export const customerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
/** The customer's name, searchable by its words (`CustomerName = 'acme'`); the memo holds it too. */
export const customerNameKey = defineSearchAttributeKey('CustomerName', SearchAttributeType.TEXT);
export const onboardingStageKey = defineSearchAttributeKey('OnboardingStage', SearchAttributeType.KEYWORD);

export const onboardingWorkflowType = 'ssoOnboarding';
/** The workflow's signature, so a client starting it by type name is still checked against its arguments. */
export type OnboardingWorkflow = (input: OnboardingInput) => Promise<OnboardingSummary>;
export const workflowIdFor = (onboardingId: string) => `onboarding-${onboardingId}`;

export interface OnboardingOptions {
  /** ISO 8601 durations, parsed by the API; the workflow receives milliseconds. */
  reminderEveryMs: number;
  approvalTimeoutMs: number;
  notifyUsers: boolean;
  batchSize: number;
}

export interface OnboardingInput {
  onboardingId: string;
  /** Stable key of the customer, visible in Temporal as the CustomerId search attribute. */
  customerId: string;
  customerName: string;
  adminEmail: string;
  emailDomains: string[];
  options: OnboardingOptions;
}

export type IdpConfigSubmission =
  | { kind: 'metadata'; xml: string; emailAttribute?: string }
  | { kind: 'metadataUrl'; url: string; emailAttribute?: string }
  | {
      kind: 'fields';
      entityId: string;
      ssoUrl: string;
      ssoBinding: SsoBinding;
      certificates: string[];
      logoutRedirectUrl?: string;
      emailAttribute?: string;
    };

export interface Problem {
  field: string;
  code: string;
  message: string;
}

export interface ConnectionView {
  id: string;
  spEntityId: string;
  acsUrl: string;
  metadataUrl: string;
  status: string;
}

export type IdpConfigResult =
  | { ok: true; connection: ConnectionView; warnings: Problem[] }
  | { ok: false; problems: Problem[]; warnings: Problem[] };

export type MigrationSource =
  | { method: 'domain'; domain: string }
  | { method: 'userSids'; userSids: string[] }
  | { method: 'accountSids'; accountSids: string[] };

/** A build request: `draft` builds a preview that is only sent for review by `sendMigrationList`. */
export type MigrationRequest = MigrationSource & { draft?: boolean };

export interface MigrationView {
  listId: string;
  version: number;
  method: MigrationMethod;
  total: number;
  flagged: number;
  excluded: number;
  status: ListStatus;
  problems: { code: string; message: string; values: string[] }[];
}

/** A pilot nominee who is not enabled: outside the onboarding's domains, or on another customer's connection. */
export interface PilotRefusal {
  email: string;
  code: PilotRefusalCode;
  message: string;
}

export interface PilotUserView {
  sid: string;
  email: string;
  firstLoginAt: string | null;
}

export interface OnboardingEvent {
  at: string;
  type: string;
  detail?: string;
}

/**
 * What an approval mail says about its step, typed per step. `Exhaustive` makes a step missing here
 * (or one here that is not a step) a compile error, so a new approval step cannot be mailed untyped.
 */
export type ApprovalContexts = Exhaustive<
  ApprovalStep,
  {
    pilot: { pilotUsers: string[] };
    migration_list: { total: number; flagged: number; version: number };
    /** `total` is absent in histories recorded before the go-ahead named it. */
    go_ahead: { total?: number };
  }
>;
export type ApprovalContext<S extends ApprovalStep = ApprovalStep> = ApprovalContexts[S];
/**
 * Every step's facts, each optional: what a mail reads, since an activity scheduled by an older run
 * may carry fewer of them. A new step's facts join it by themselves.
 */
export type ApprovalContextFacts = Partial<UnionToIntersection<ApprovalContexts[ApprovalStep]>>;
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** `T`, provided its keys are exactly `K`: one entry per member of a vocabulary array. */
export type Exhaustive<K extends string, T extends Record<K, unknown> & Record<Exclude<keyof T, K>, never>> = T;

export interface CancelRequest {
  reason: string;
  actor: string;
  /** Where the users this onboarding enabled end up; `enabled` when the caller does not say. */
  revertTo?: RevertTarget;
}

export interface PendingApproval {
  step: ApprovalStep;
  tokenId: string;
  expiresAt: string;
}

export interface OnboardingState {
  onboardingId: string;
  stage: Stage;
  problems: Problem[];
  connection: ConnectionView | null;
  pilot: {
    users: PilotUserView[];
    unknownEmails: string[];
    /** Nominees who were not enabled, and why (absent in histories recorded before it existed). */
    refused?: PilotRefusal[];
    customerConfirmed: boolean;
    supportConfirmed: boolean;
  };
  migration: MigrationView | null;
  /** A list support built as a preview (`send: false`), not yet sent for review (absent in older histories). */
  draft?: MigrationView | null;
  pending: PendingApproval[];
  events: OnboardingEvent[];
  cancelReason: string | null;
  summary: OnboardingSummary | null;
}

export interface OnboardingSummary {
  onboardingId: string;
  stage: Stage;
  cancelReason: string | null;
  /** Who is where at the end, from the list itself. */
  counts: { listed: number; excluded: number; enabled: number; enforced: number; reverted: number };
  /** At completion: who keeps a password (enabled, not enforced), the first 50 named. */
  keepingPasswords?: { count: number; emails: string[] };
}

export interface ApprovalDecision {
  tokenId: string;
  step: ApprovalStep;
  decision: ApprovalDecisionKind;
  reason?: string;
  /**
   * How many users the approver excluded. The users themselves are in PostgreSQL against the link
   * (`approval_exclusions` by `tokenId`), so a decision of any size keeps the history small.
   */
  excludedCount?: number;
  /** Only in histories recorded before exclusions moved to PostgreSQL; never sent any more. */
  excludes?: string[];
}

export const getOnboardingState = defineQuery<OnboardingState>('getOnboardingState');
export const submitIdpConfig = defineUpdate<IdpConfigResult, [IdpConfigSubmission]>('submitIdpConfig');
export const nominatePilotUsers = defineUpdate<OnboardingState['pilot'], [{ emails: string[] }]>('nominatePilotUsers');
export const confirmPilot = defineUpdate<OnboardingState['pilot'], []>('confirmPilot');
export const buildMigrationList = defineUpdate<MigrationView, [MigrationRequest]>('buildMigrationList');
export const sendMigrationList = defineUpdate<MigrationView, [{ listId: string }]>('sendMigrationList');
export const recordApproval = defineUpdate<{ stage: Stage }, [ApprovalDecision]>('recordApproval');
export const cancelOnboarding = defineUpdate<OnboardingState, [CancelRequest]>('cancelOnboarding');
/** Support takes pilot users back out of the pilot (by SID); those the pilot switched on go back to no SSO. */
export const removePilotUsers = defineUpdate<OnboardingState['pilot'], [{ userSids: string[]; reason: string }]>('removePilotUsers');
/** Support mails the pending link of a step again (the same link, as a reminder), e.g. when the first mail was lost. */
export const resendApprovalLink = defineUpdate<{ step: ApprovalStep }, [{ step: ApprovalStep }]>('resendApprovalLink');
export const pilotUserLoggedIn = defineSignal<[{ userSid: string; at: string }]>('pilotUserLoggedIn');
