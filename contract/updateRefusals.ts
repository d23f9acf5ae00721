// Why the workflow refuses an Update, by code: the catalogue both sides read. The workflow raises a
// refusal with one of these codes (an Update validator's refusal never reaches its history); the API
// answers it with the status given here and the workflow's message.

export const updateRefusals = {
  wrong_stage: { status: 409, meaning: 'the onboarding is not at a stage that allows this, or is being cancelled' },
  invalid_request: { status: 400, meaning: 'the request itself is malformed' },
  reason_required: { status: 409, meaning: 'a cancel needs a reason' },
  pilot_not_started: { status: 409, meaning: 'the pilot cannot be confirmed before anyone is nominated' },
  not_a_pilot_user: { status: 422, meaning: 'a user to remove from the pilot is not one of its users' },
  no_pending_link: { status: 409, meaning: 'no approval link of that step is waiting to be resent' },
  domain_not_in_onboarding: { status: 422, meaning: 'a list by domain must use one of the onboarding’s domains' },
  not_a_draft: { status: 409, meaning: 'only the draft list waiting to be sent can be sent' },
  empty_list: { status: 422, meaning: 'a list of nobody is never sent for review' },
  stale_link: { status: 409, meaning: 'the approval link is no longer the one awaited for its step' },
} as const;
export type UpdateRefusalCode = keyof typeof updateRefusals;

/**
 * Refusals of bad input raised by activities (non-retryable, seen by the API through the Update) with
 * the status they are answered with; any other code of an activity refusal is a 422.
 */
export const activityRefusalStatus: Record<string, number> = {
  invalid_request: 400,
  unknown_exclusions: 422,
  domain_not_in_onboarding: 422,
  domain_unverified: 409,
  empty_list: 422,
};
