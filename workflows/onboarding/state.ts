import { ApplicationFailure } from '@temporalio/workflow';
import type {
  ApprovalDecision,
  ApprovalStep,
  CancelRequest,
  ConnectionView,
  MigrationView,
  OnboardingInput,
  OnboardingState,
  RevertTarget,
  Stage,
  UpdateRefusalCode,
  updateRefusals,
} from '../../contract/onboarding.js';

const maxEvents = 200;

/**
 * Behaviour added after runs were already in flight, each behind `patched()` so those runs replay as
 * they ran. Read once at the start of the run, in this order (the order their markers are recorded).
 */
export interface Patches {
  /** Steps can be interrupted by a cancel, and a step that fails for good becomes a problem. */
  interruptibleSteps: boolean;
  /** A rebuild supersedes the list under review. */
  rebuildSupersedes: boolean;
  /** Drafts, and no empty list sent for review. */
  listGuards: boolean;
  /** A cancel with revertTo none also switches the pilot users off. */
  revertPilot: boolean;
  /** Async Update handlers run one at a time. */
  exclusiveUpdates: boolean;
  /** The SP details and the setup link are mailed at the start (the connection exists from then on). */
  spDetailsFirst: boolean;
}

/** Thrown through the main line when a cancel request interrupts it. */
export class OnboardingCancelled extends Error {}

export interface AcceptedCancel extends CancelRequest {
  revertTo: RevertTarget;
}

/** One onboarding run: the state the query shows, plus what only the workflow itself needs. */
export class OnboardingRun {
  readonly state: OnboardingState;
  /** Decisions that arrived and are not yet taken by the step awaiting them. */
  readonly decisions = new Map<ApprovalStep, ApprovalDecision>();
  /** Steps whose pending link support asked to mail again; the step awaiting it mails it as a reminder. */
  readonly resendRequested = new Set<ApprovalStep>();
  cancelRequest: AcceptedCancel | null = null;
  revertedCount = 0;

  constructor(
    readonly input: OnboardingInput,
    readonly patches: Patches,
  ) {
    this.state = {
      onboardingId: input.onboardingId,
      stage: 'config_intake',
      problems: [],
      connection: null,
      pilot: { users: [], unknownEmails: [], customerConfirmed: false, supportConfirmed: false },
      migration: null,
      draft: null,
      pending: [],
      events: [],
      cancelReason: null,
      summary: null,
    };
  }

  get onboardingId() {
    return this.input.onboardingId;
  }

  get cancelling(): boolean {
    return this.cancelRequest !== null;
  }

  /** Date is workflow time inside the sandbox, so events are deterministic on replay. */
  note(type: string, detail?: string) {
    const { events } = this.state;
    events.push({ at: new Date().toISOString(), type, ...(detail ? { detail } : {}) });
    if (events.length > maxEvents) events.splice(0, events.length - maxEvents);
  }

  requireConnection(): ConnectionView {
    if (!this.state.connection) throw new Error('no connection yet: the main line passed config intake without one');
    return this.state.connection;
  }

  requireList(): MigrationView {
    if (!this.state.migration) throw new Error('no migration list yet: the main line passed list review without one');
    return this.state.migration;
  }

  /** The decision the step was woken for; it is consumed, so the next round awaits a new one. */
  takeDecision(step: ApprovalStep): ApprovalDecision {
    const decision = this.decisions.get(step);
    if (!decision) throw new Error(`no decision for ${step} although one was awaited`);
    this.decisions.delete(step);
    return decision;
  }

  requireCancelRequest(): AcceptedCancel {
    if (!this.cancelRequest) throw new Error('the onboarding was cancelled without a cancel request');
    return this.cancelRequest;
  }

  refuse(code: UpdateRefusalCode, message: string) {
    return ApplicationFailure.nonRetryable(message, code satisfies keyof typeof updateRefusals);
  }

  requireStage(allowed: Stage[], action: string) {
    if (this.cancelRequest) throw this.refuse('wrong_stage', `${action} refused: the onboarding is being cancelled`);
    if (!allowed.includes(this.state.stage))
      throw this.refuse('wrong_stage', `${action} is not possible in stage ${this.state.stage} (needs ${allowed.join(' or ')})`);
  }

  /**
   * The pilot is open as soon as the IdP configuration is accepted: the stages the main line passes
   * through on its way to `pilot` (recording the stage, mailing the SP details) are no reason to refuse.
   */
  requirePilotOpen(action: string) {
    const { connection, stage } = this.state;
    const accepted = connection !== null && (stage === 'config_intake' || stage === 'sp_details_sent');
    if (!accepted || this.cancelRequest) this.requireStage(['pilot'], action);
  }

  addProblem(field: string, code: string, message: string) {
    this.state.problems.push({ field, code, message });
  }

  /** A built (or sent) list's problems (SIDs not on file, …) become the onboarding's, replacing the last list's. */
  setListProblems(problems: MigrationView['problems']) {
    this.state.problems = [
      ...this.state.problems.filter((p) => p.field !== 'migration_list' || p.code === 'approval_overdue'),
      ...problems.map(({ code, message }) => ({ field: 'migration_list', code, message })),
    ];
  }
}
