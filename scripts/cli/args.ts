// What every CLI command shares: the usage error, the command's shape, and reading its arguments.
import type { CliContext } from './api.js';

/** The command line itself is wrong: exit 2 with the usage. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionSpec = { type: 'string' | 'boolean'; multiple?: boolean };
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Command {
  usage: string;
  summary: string;
  options?: Record<string, OptionSpec>;
  /** Prints the API's JSON answer with --json. */
  json?: boolean;
  run(ctx: CliContext, args: { values: Values; positionals: string[]; name: string }): Promise<number | undefined>;
}

export const string = (values: Values, name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};
export const strings = (values: Values, name: string): string[] => {
  const value = values[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
};
export const required = (values: Values, name: string, command: string): string => {
  const value = string(values, name);
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`, command);
  return value;
};

/** IDs go into URL paths: anything but an ID's characters (`..`, `/`) could reach another endpoint. */
export function onboardingId(value: string | undefined, command: string): string {
  if (value === undefined) throw new UsageError('the onboarding ID is missing', command);
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(value)) throw new UsageError(`${JSON.stringify(value)} is not an onboarding ID (ob_…)`, command);
  return value;
}

export function exactly(positionals: string[], count: number, command: string) {
  if (positionals.length > count) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[count])}`, command);
}

export const print = (ctx: CliContext, values: Values, answer: unknown, text: string) =>
  ctx.out(values.json ? JSON.stringify(answer, null, 2) : text);
export const onboardingPath = (id: string, action = '') => `/api/onboardings/${id}${action}`;
