// The baseline the ACS is compared with: node-saml's validatePostResponseAsync alone, in this
// process, one response after another, on one core. Same options as production (taken from
// serviceProviderFor itself, so they cannot drift), except the request-ID cache: in memory instead
// of PostgreSQL, which IdP-initiated responses (no InResponseTo) never consult anyway.
import { type CacheItem, type CacheProvider, SAML } from '@node-saml/node-saml';
import type { Connection } from '../../domain/connections.js';
import { type ServiceProviderOptions, serviceProviderFor } from '../../domain/saml/serviceProvider.js';

export function inMemoryRequestCache(): CacheProvider {
  const entries = new Map<string, CacheItem>();
  return {
    async saveAsync(key, value) {
      const item = { value, createdAt: Date.now() };
      entries.set(key, item);
      return item;
    },
    async getAsync(key) {
      return entries.get(key)?.value ?? null;
    },
    async removeAsync(key) {
      if (key === null || !entries.delete(key)) return null;
      return key;
    },
  };
}

export function bareServiceProvider(connection: Connection, options: ServiceProviderOptions): SAML {
  const production = serviceProviderFor(connection, options);
  return new SAML({ ...production.options, cacheProvider: inMemoryRequestCache() });
}

/** Validates each response once and checks who it logs in, so the timed loop can only measure acceptances. */
export async function checkAccepted(sp: SAML, responses: string[], emails: string[]): Promise<void> {
  for (const [i, SAMLResponse] of responses.entries()) {
    const { profile, loggedOut } = await sp.validatePostResponseAsync({ SAMLResponse });
    const expected = emails[i % emails.length];
    if (loggedOut || profile?.nameID !== expected) {
      throw new Error(`node-saml did not accept bench response ${i} as a login of ${expected} (got ${profile?.nameID ?? 'no profile'})`);
    }
  }
}

export interface BareResult {
  validations: number;
  elapsedSeconds: number;
  perSecond: number;
}

/** Sequential validations for `durationMs`, cycling through `responses` (node-saml keeps no replay state). */
export async function measureBareValidation(sp: SAML, responses: string[], durationMs: number): Promise<BareResult> {
  let validations = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  let now = started;
  while (now < deadline) {
    const SAMLResponse = responses[validations % responses.length] as string;
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse });
    if (!profile) throw new Error('node-saml returned no profile for a bench response');
    validations++;
    now = performance.now();
  }
  const elapsedSeconds = (now - started) / 1000;
  return { validations, elapsedSeconds, perSecond: validations / elapsedSeconds };
}
