import type { ApprovalStep, OnboardingState, Problem, Stage } from '../contract/onboarding.js';

/** The stages in which a step's rejection still stands: the step has not been decided again since. */
const stepStages: Record<ApprovalStep, Stage[]> = {
  pilot: ['pilot'],
  migration_list: ['migration_list', 'list_review'],
  go_ahead: ['awaiting_go_ahead'],
};

const stepWords: Record<ApprovalStep, string> = { pilot: 'pilot', migration_list: 'migration list', go_ahead: 'go-ahead' };

/**
 * What the workflow's timeline says that support must act on, as problems: the customer administrator's
 * rejection (with their reason) while its step is still open, and pilot nominees who were not enabled.
 */
export function timelineProblems(state: OnboardingState | null): Problem[] {
  if (!state) return [];
  const problems: Problem[] = [];
  for (const step of Object.keys(stepStages) as ApprovalStep[]) {
    if (!stepStages[step].includes(state.stage)) continue;
    const last = state.events.findLast((e) => e.type === `${step}_approved` || e.type === `${step}_rejected`);
    if (last?.type !== `${step}_rejected`) continue;
    const reason = last.detail?.trim();
    problems.push({
      field: step,
      code: 'customer_rejected',
      message: `The customer’s administrator rejected the ${stepWords[step]}${reason ? `: “${reason}”` : ' without giving a reason'}.`,
    });
  }
  if (state.stage === 'pilot' || state.stage === 'config_intake' || state.stage === 'sp_details_sent') {
    for (const refusal of state.pilot.refused ?? [])
      problems.push({ field: 'pilot', code: `pilot_${refusal.code}`, message: `Not in the pilot: ${refusal.message}.` });
    if (state.pilot.unknownEmails.length > 0)
      problems.push({
        field: 'pilot',
        code: 'pilot_unknown_emails',
        message: `Not in the pilot, no user has these addresses: ${state.pilot.unknownEmails.join(', ')}.`,
      });
  }
  return problems;
}
