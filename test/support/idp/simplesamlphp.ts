// The SimpleSAMLphp IdP is started by the tests and by `npm run dev` (its demo IdP): scripts/local/simplesamlphp.ts.
import { type SimpleSamlIdp, type SimpleSamlIdpOptions, startSimpleSamlIdp } from '../../../scripts/local/simplesamlphp.js';
import { startedForFile } from '../fixture.js';

export * from '../../../scripts/local/simplesamlphp.js';

/** For a test file: the IdP, started in beforeAll and stopped in afterAll; it stands for the started IdP from the first test on. */
export function useSimpleSamlIdp(options: SimpleSamlIdpOptions): SimpleSamlIdp {
  return startedForFile(
    'the IdP of useSimpleSamlIdp()',
    () => startSimpleSamlIdp(options),
    (idp) => idp.stop(),
  );
}
