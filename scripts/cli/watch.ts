// `watch ID`: polls the onboarding, says each stage as it comes, and draws a progress bar while users are
// being enabled or enforced. Progress goes to stderr so stdout keeps only the outcome.
import { onboardingResponse } from '../../api/responses.js';
import { ApiRefusal, ApiUnreachable, type CliContext } from './api.js';
import { type Onboarding, progressBar } from './format.js';

export const cancelledExitCode = 4;

/**
 * A restarting API, or one whose Temporal is briefly away (a 5xx), should not end the watch of an
 * hours-long rollout: only this many failed polls in a row do.
 */
const failedPollsAllowed = 5;
const transient = (error: unknown) => error instanceof ApiUnreachable || (error instanceof ApiRefusal && error.status >= 500);

const waitingFor: Record<Onboarding['stage'], string> = {
  config_intake: "waiting for the customer's IdP configuration (idp-config)",
  sp_details_sent: 'SP details sent to the customer',
  pilot: 'waiting for pilot users (pilot), then the customer and support to confirm (confirm-pilot)',
  migration_list: 'waiting for the migration list (migrate)',
  list_review: "waiting for the customer's review of the migration list",
  enabling: 'enabling SSO for the listed users',
  awaiting_go_ahead: "users enabled; waiting for the customer's go-ahead to enforce",
  enforcing: 'enforcing SSO for the listed users',
  completed: '',
  cancelled: '',
};

function rolloutBar(o: Onboarding): string | undefined {
  if (o.stage === 'enabling') return `enabling   ${progressBar(o.progress.enabled, o.progress.total)}`;
  if (o.stage === 'awaiting_go_ahead') return `enabled    ${progressBar(o.progress.enabled, o.progress.total)}`;
  if (o.stage === 'enforcing') return `enforcing  ${progressBar(o.progress.enforced, o.progress.total)}`;
  if (o.stage === 'completed') return `enforced   ${progressBar(o.progress.enforced, o.progress.total)}`;
  return undefined;
}

export async function watchOnboarding(ctx: CliContext, id: string, intervalMs: number): Promise<number> {
  const api = ctx.api();
  const onTerminal = Boolean(ctx.progress.isTTY);
  let barShown = false;
  let lastBar: string | undefined;
  let lastStage: string | undefined;
  let lastProblems = '[]';
  let failedPolls = 0;

  const drawBar = (bar: string) => {
    if (bar === lastBar) return;
    // On a terminal the bar is redrawn in place; in a log, each new figure is its own line.
    ctx.progress.write(onTerminal ? `\r${bar}\x1b[K` : `${bar}\n`);
    barShown = onTerminal;
    lastBar = bar;
  };
  const say = (line: string) => {
    if (barShown) ctx.progress.write('\n');
    barShown = false;
    lastBar = undefined;
    ctx.progress.write(`${line}\n`);
  };

  for (;;) {
    let o: Onboarding;
    try {
      o = await api.request('GET', `/api/onboardings/${id}`, onboardingResponse);
      failedPolls = 0;
    } catch (error) {
      if (transient(error) && ++failedPolls < failedPollsAllowed) {
        await ctx.sleep(intervalMs);
        continue;
      }
      if (barShown) ctx.progress.write('\n');
      throw error;
    }
    if (o.stage !== lastStage) {
      // Enforcement can finish between two polls: the bar still ends full for whoever watched it start.
      if (o.stage === 'completed' && lastStage !== undefined) drawBar(rolloutBar(o) as string);
      say(`${o.id} ${o.customerName}: ${o.stage}${waitingFor[o.stage] ? `: ${waitingFor[o.stage]}` : ''}`);
      lastStage = o.stage;
    }
    const problems = JSON.stringify(o.problems);
    if (problems !== lastProblems) {
      for (const p of o.problems) say(`problem: ${p.field}: ${p.message} [${p.code}]`);
      lastProblems = problems;
    }
    if (o.stage === 'completed') {
      const counts = o.summary?.counts;
      ctx.out(
        `${o.id} completed: ${counts ? `${counts.enforced} users enforced, ${counts.excluded} excluded` : `${o.progress.enforced}/${o.progress.total} users enforced`}.`,
      );
      return 0;
    }
    if (o.stage === 'cancelled') {
      ctx.err(`${o.id} cancelled: ${o.cancelReason ?? 'no reason given'}`);
      return cancelledExitCode;
    }
    const bar = rolloutBar(o);
    if (bar) drawBar(bar);
    await ctx.sleep(intervalMs);
  }
}
