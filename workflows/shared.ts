// The messages, search-attribute keys and DTOs shared by the workflow and its callers.
// No Node imports: this module is bundled into the workflow sandbox.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

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

export const searchAttributeTypes = { CustomerId: 'keyword', OnboardingStage: 'keyword' } as const;
export const customerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const onboardingStageKey = defineSearchAttributeKey('OnboardingStage', SearchAttributeType.KEYWORD);

export const onboardingWorkflowType = 'ssoOnboarding';
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

export interface OnboardingEvent {
  at: string;
  type: string;
  detail?: string;
}

export interface OnboardingState {
  onboardingId: string;
  stage: Stage;
  problems: string[];
  events: OnboardingEvent[];
  cancelReason: string | null;
}

export interface OnboardingSummary {
  onboardingId: string;
  stage: Stage;
  cancelReason: string | null;
}

export const getOnboardingState = defineQuery<OnboardingState>('getOnboardingState');
export const cancelOnboarding = defineUpdate<OnboardingState, [{ reason: string; actor: string }]>('cancelOnboarding');
export const pilotUserLoggedIn = defineSignal<[{ userSid: string; at: string }]>('pilotUserLoggedIn');
