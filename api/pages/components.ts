import type { Stage } from '../../contract/onboarding.js';
import { html, type SafeHtml } from './html.js';

/** Times on pages are UTC, written out, with the machine-readable value for assistive technology. */
export function time(at: Date | string | null | undefined): SafeHtml {
  if (!at) return html``;
  const date = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(date.getTime())) return html``;
  return html`<time datetime="${date.toISOString()}">${date.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/** A labelled native progress bar with its numbers beside it, so the figures do not depend on the bar. */
export function meter(id: string, label: string, value: number, max: number, context?: string): SafeHtml {
  if (max <= 0) return html`<div class="meter"><span>${label}</span><span class="muted">no users listed yet</span></div>`;
  const percent = Math.floor((value / max) * 100);
  return html`<div class="meter"><label for="${id}">${label}${context && html`<span class="vh"> for ${context}</span>`}</label><progress id="${id}" max="${max}" value="${value}">${percent}%</progress><output for="${id}">${value.toLocaleString('en')} of ${max.toLocaleString('en')}</output></div>`;
}

const stageWords: Record<Stage, [string, 'active' | 'ok' | 'warn' | 'bad' | '']> = {
  config_intake: ['Waiting for IdP details', 'warn'],
  sp_details_sent: ['SP details sent', 'active'],
  pilot: ['Pilot', 'active'],
  migration_list: ['Building the migration list', 'warn'],
  list_review: ['Migration list in review', 'active'],
  enabling: ['Enabling SSO', 'active'],
  awaiting_go_ahead: ['Awaiting go-ahead', 'active'],
  enforcing: ['Enforcing SSO', 'active'],
  completed: ['Completed', 'ok'],
  cancelled: ['Cancelled', 'bad'],
};

/** Stage names as support reads them; an unknown value (an old event) shows as written. */
export const stageLabel = (stage: string) => stageWords[stage as Stage]?.[0] ?? stage;

export function stageBadge(stage: Stage): SafeHtml {
  const [words, tone] = stageWords[stage] ?? [stage, ''];
  return html`<span class="badge ${tone}" data-stage="${stage}">${words}</span>`;
}

export const plural = (count: number, one: string, many = `${one}s`) => `${count.toLocaleString('en')} ${count === 1 ? one : many}`;

export const flagWords: Record<string, string> = {
  outside_connection_domains: 'outside your email domains',
  possible_alias: 'possible alias or shared mailbox',
};
