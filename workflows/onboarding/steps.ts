import { ActivityFailure, CancellationScope, condition, upsertSearchAttributes } from '@temporalio/workflow';
import { onboardingStageKey, type Stage } from '../../contract/onboarding.js';
import { steps } from './activities.js';
import { OnboardingCancelled, type OnboardingRun } from './state.js';

/**
 * A step of the main line (the activities it waits for). A cancel request interrupts it, so cancel
 * answers within seconds from any stage, even while an activity keeps failing. A step that fails
 * for good (bad data, or its bounded retries spent) becomes a problem naming it, and the onboarding
 * waits for support to cancel it instead of failing the run. During the cancel itself, steps are
 * not interrupted and a failure is noted while the cancel goes on.
 */
export async function runStep<T>(run: OnboardingRun, name: string, work: () => Promise<T>): Promise<T> {
  // Runs started before steps could be interrupted replay as they ran.
  if (!run.patches.interruptibleSteps) return await work();
  if (run.cancelling) return await work();
  const scope = new CancellationScope();
  const watch = new CancellationScope();
  void watch
    .run(() => condition(() => run.cancelling))
    .then(
      () => scope.cancel(),
      () => undefined,
    );
  try {
    return await scope.run(work);
  } catch (error) {
    if (run.cancelling) throw new OnboardingCancelled();
    if (!(error instanceof ActivityFailure)) throw error;
    // Failed for good: it stays a problem until support cancels, which is the only way on.
    noteFailure(run, name, error);
    await condition(() => run.cancelling);
    throw new OnboardingCancelled();
  } finally {
    watch.cancel();
  }
}

/** A step of the cancel: never interrupted; one that fails is noted and the cancel goes on. */
export async function cancelStep<T>(run: OnboardingRun, name: string, work: () => Promise<T>, fallback: T): Promise<T> {
  if (!run.patches.interruptibleSteps) return await work();
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    noteFailure(run, name, error);
    return fallback;
  }
}

export function noteFailure(run: OnboardingRun, name: string, error: ActivityFailure) {
  const cause = error.cause instanceof Error ? error.cause.message : error.message;
  run.addProblem(
    name,
    'step_failed',
    `${name} failed and is not retried any more: ${cause.slice(0, 300)}. Cancel the onboarding; start again once the cause is fixed.`,
  );
  run.note('step_failed', name);
}

/** Waits for `ready` (or the timeout: then false); a cancel request interrupts the wait. */
export async function waitFor(run: OnboardingRun, ready: () => boolean, timeoutMs?: number): Promise<boolean> {
  let done = true;
  if (timeoutMs === undefined) await condition(() => ready() || run.cancelling);
  else done = await condition(() => ready() || run.cancelling, timeoutMs);
  if (run.cancelling) throw new OnboardingCancelled();
  return done;
}

export async function enterStage(run: OnboardingRun, stage: Stage) {
  run.state.stage = stage;
  upsertSearchAttributes([{ key: onboardingStageKey, value: stage }]);
  run.note('stage', stage);
  const record = () =>
    steps.recordOnboardingStage({ onboardingId: run.onboardingId, stage, connectionId: run.state.connection?.id ?? null });
  if (stage === 'cancelled') await cancelStep(run, 'recording the stage', record, undefined);
  else await runStep(run, 'recording the stage', record);
}
