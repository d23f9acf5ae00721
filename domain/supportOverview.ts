// What the support dashboard and the metrics count, from PostgreSQL alone: every onboarding with its
// rollout counts. The problems only the workflow knows are asked of Temporal (onboardingCommands.ts).
import type postgres from 'postgres';
import type { Stage } from '../contract/onboarding.js';
import { stages } from '../contract/vocabulary.js';
import { AppError } from '../lib/errors.js';
import { controlCharacterIn } from '../lib/text.js';
import { progressCounts } from './rollout.js';

/** What the dashboard's search narrows the onboardings to; every part optional, all of them together. */
export interface OnboardingFilter {
  /** Part of the customer's name, CustomerId or administrator's email, in any case. */
  customer?: string;
  /** Part of one of its email domains. */
  domain?: string;
  stage?: Stage;
}

const maxCustomerText = 200;
const domainText = /^[a-z0-9.-]{1,253}$/;

const badFilter = (parameter: string, message: string) =>
  new AppError('invalid_request', 400, `${parameter}: ${message}`, [{ path: parameter, message }]);

/** The dashboard's query parameters, checked: a value that cannot be searched for is a 400 naming its parameter. */
export function parseOnboardingFilter(query: Record<string, unknown>): OnboardingFilter {
  const one = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw badFilter(name, 'give it once, as text');
    return value.trim() === '' ? undefined : value.trim();
  };
  const filter: OnboardingFilter = {};
  const customer = one('customer');
  if (customer !== undefined) {
    if (customer.length > maxCustomerText) throw badFilter('customer', `must be at most ${maxCustomerText} characters`);
    if (controlCharacterIn(customer, false) !== undefined) throw badFilter('customer', 'must not contain control characters');
    filter.customer = customer;
  }
  const domain = one('domain')?.toLowerCase();
  if (domain !== undefined) {
    if (!domainText.test(domain)) throw badFilter('domain', 'must be (part of) a domain name: letters, digits, dots and dashes');
    filter.domain = domain;
  }
  const stage = one('stage');
  if (stage !== undefined) {
    if (!(stages as readonly string[]).includes(stage)) throw badFilter('stage', `must be one of ${stages.join(', ')}`);
    filter.stage = stage as Stage;
  }
  return filter;
}

/** LIKE's wildcards in what support typed match themselves only. */
const likePart = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export interface OnboardingOverview {
  id: string;
  customerName: string;
  /** The CustomerId search attribute its workflow carries in Temporal (null for onboardings from before it was kept). */
  customerId: string | null;
  adminEmail: string;
  stage: Stage;
  updatedAt: Date;
  listVersion: number | null;
  total: number;
  enabled: number;
  enforced: number;
}

export async function onboardingOverview(sql: postgres.Sql, filter: OnboardingFilter = {}, limit = 100): Promise<OnboardingOverview[]> {
  const customer = filter.customer === undefined ? undefined : likePart(filter.customer);
  const domain = filter.domain === undefined ? undefined : likePart(filter.domain);
  const rows = await sql<
    {
      id: string;
      customer_name: string;
      customer_id: string | null;
      admin_email: string;
      stage: Stage;
      updated_at: Date | string;
      version: number | null;
      total: number | null;
      enabled: number | null;
      enforced: number | null;
    }[]
  >`
    select o.id, o.customer_name, o.customer_id, o.admin_email, o.stage::text as stage, o.updated_at, l.version, p.total, p.enabled, p.enforced
    from onboardings o
    left join lateral (select id, version from migration_lists where onboarding_id = o.id and status <> 'draft' order by version desc limit 1) l on true
    left join lateral (select ${progressCounts(sql)} from migration_list_entries e where e.list_id = l.id) p on true
    where true
    ${customer === undefined ? sql`` : sql`and (o.customer_name ilike ${customer} or o.customer_id ilike ${customer} or o.admin_email ilike ${customer})`}
    ${domain === undefined ? sql`` : sql`and exists (select 1 from unnest(o.email_domains) d where d like ${domain})`}
    ${filter.stage === undefined ? sql`` : sql`and o.stage::text = ${filter.stage}`}
    order by o.created_at desc
    limit ${limit}`;
  return rows.map((r) => ({
    id: r.id,
    customerName: r.customer_name,
    customerId: r.customer_id,
    adminEmail: r.admin_email,
    stage: r.stage,
    updatedAt: new Date(r.updated_at),
    listVersion: r.version,
    total: r.total ?? 0,
    enabled: r.enabled ?? 0,
    enforced: r.enforced ?? 0,
  }));
}

/** How many onboardings are in each stage, for the `onboardings` gauge. */
export async function onboardingsByStage(sql: postgres.Sql) {
  return await sql<{ stage: string; count: number }[]>`select stage::text as stage, count(*)::int as count from onboardings group by stage`;
}

/** The rollout of every onboarding between enabling and enforcing, counted from the list it rolls out. */
export async function rolloutsInFlight(sql: postgres.Sql) {
  const rows = await sql<{ id: string; stage: string; total: number; enabled: number; enforced: number }[]>`
    select o.id, o.stage::text as stage, p.total, p.enabled, p.enforced
    from onboardings o
    join lateral (select id from migration_lists where onboarding_id = o.id and status <> 'draft' order by version desc limit 1) l on true
    join lateral (select ${progressCounts(sql)} from migration_list_entries e where e.list_id = l.id) p on true
    where o.stage in ('enabling', 'awaiting_go_ahead', 'enforcing') and p.total + p.excluded > 0`;
  return rows.map((r) => ({ onboardingId: r.id, stage: r.stage, total: r.total, enabled: r.enabled, enforced: r.enforced }));
}
