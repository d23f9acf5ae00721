import { randomBytes } from 'node:crypto';

export type SidPrefix = 'AC' | 'US';

const sidPattern = { AC: /^AC[0-9a-f]{32}$/, US: /^US[0-9a-f]{32}$/ } as const;

export function newSid(prefix: SidPrefix): string {
  return prefix + randomBytes(16).toString('hex');
}

export function isSid(prefix: SidPrefix, value: string): boolean {
  return sidPattern[prefix].test(value);
}
