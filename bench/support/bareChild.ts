// One process of the parallel bare baseline (bareParallel.ts): builds node-saml from the options it
// is sent, validates every response once (warm-up; the parent has checked them), then measures when told to.
import { SAML, type SamlConfig } from '@node-saml/node-saml';
import { inMemoryRequestCache, measureBareValidation } from './bareValidation.js';

interface Setup {
  options: SamlConfig;
  responses: string[];
  durationMs: number;
}

process.once('message', async (setup: Setup) => {
  const sp = new SAML({ ...setup.options, cacheProvider: inMemoryRequestCache() });
  for (const SAMLResponse of setup.responses) await sp.validatePostResponseAsync({ SAMLResponse });
  process.send?.({ ready: true });
  process.once('message', async () => {
    const result = await measureBareValidation(sp, setup.responses, setup.durationMs);
    process.send?.({ result }, () => process.exit(0));
  });
});
