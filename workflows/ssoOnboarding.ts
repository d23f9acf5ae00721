import { ApplicationFailure, condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { OnboardingActivities } from '../activities/index.js';
import {
  cancelOnboarding,
  customerIdKey,
  getOnboardingState,
  type OnboardingInput,
  type OnboardingState,
  type OnboardingSummary,
  onboardingStageKey,
  type Stage,
} from './shared.js';

const { recordOnboardingStage } = proxyActivities<OnboardingActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '10s' },
});

export async function ssoOnboarding(input: OnboardingInput): Promise<OnboardingSummary> {
  const state: OnboardingState = {
    onboardingId: input.onboardingId,
    stage: 'config_intake',
    problems: [],
    events: [],
    cancelReason: null,
  };

  const note = (type: string, detail?: string) => {
    // Date is workflow time inside the sandbox, so this is deterministic on replay.
    state.events.push({ at: new Date().toISOString(), type, detail });
  };

  const enterStage = async (stage: Stage) => {
    state.stage = stage;
    upsertSearchAttributes([{ key: onboardingStageKey, value: stage }]);
    await recordOnboardingStage({ onboardingId: input.onboardingId, stage });
  };

  setHandler(getOnboardingState, () => state);
  setHandler(
    cancelOnboarding,
    async ({ reason }) => {
      state.cancelReason = reason;
      // Answer once the cancellation has taken effect, so the caller sees the final stage.
      await condition(() => state.stage === 'cancelled');
      return state;
    },
    {
      validator: ({ reason }) => {
        if (state.stage === 'completed' || state.stage === 'cancelled') {
          throw ApplicationFailure.nonRetryable(`onboarding is already ${state.stage}`, 'wrong_stage');
        }
        if (!reason?.trim()) throw ApplicationFailure.nonRetryable('a reason is required to cancel', 'reason_required');
      },
    },
  );

  upsertSearchAttributes([{ key: customerIdKey, value: input.customerId }]);
  await enterStage('config_intake');
  note('started');

  await condition(() => state.cancelReason !== null);
  note('cancelled', state.cancelReason ?? undefined);
  await enterStage('cancelled');
  return { onboardingId: input.onboardingId, stage: state.stage, cancelReason: state.cancelReason };
}
