// Throughput of the Assertion Consumer Service, against node-saml's bare validation measured in the
// same run: logins/s through the real ACS over HTTP with one and two API workers, and how much
// cheaper the ACS refuses junk than it accepts a login. Every valid request carries a different
// signed response (replays are refused), signed before the clock starts. Forged responses are also
// refused at a connection with one certificate and at one holding the most a connection may, so a
// junk post's cost can be read against the number of certificates on file.

import { availableParallelism } from 'node:os';
import { loadConfig } from '../lib/config.js';
import { generateSelfSignedCertificate } from '../test/support/idp/self-signed.js';
import {
  measureJunk,
  measureValidLogins,
  poolSize,
  progress,
  settings,
  setUpCappedConnection,
  setUpConnection,
  withApi,
} from './acs/phases.js';
import { acsReport } from './acs/report.js';
import { measureBareInParallel } from './support/bareParallel.js';
import { bareServiceProvider, checkAccepted, measureBareValidation } from './support/bareValidation.js';
import { createBenchDatabase, insertSsoUsers } from './support/database.js';
import { junkKinds, signatureJunkKinds } from './support/junk.js';
import { backgroundLoad, cpuBetween, cpuSnapshot } from './support/procStat.js';
import type { Result } from './support/result.js';
import { signedLoginResponse, signedLoginResponses } from './support/signing.js';

export const name = 'acs';

export async function run(): Promise<Result> {
  const idleLoad = await backgroundLoad(1000);
  progress('creating and migrating a bench database');
  const database = await createBenchDatabase();
  try {
    const bench = await setUpConnection(database);
    const emails = await insertSsoUsers(database.database, bench.connection.id, 'bench.test', settings.users);
    progress(`connection ${bench.connection.id} with ${settings.users} SSO-enabled users`);
    const sign = (count: number, label: string) => signedLoginResponses(bench.idp, bench.to, emails, count, label);
    const capped = await setUpCappedConnection(bench);
    const unknownKey = { entityId: bench.idp.entityId, key: await generateSelfSignedCertificate({ commonName: 'bench-attacker' }) };
    progress(`connection ${capped.connection.id} with ${capped.connection.certificates.length} certificates, the IdP's last`);
    const [someone = 'nobody@bench.test'] = emails;
    const signatureJunk = {
      single: signatureJunkKinds(
        signedLoginResponse(bench.idp, bench.to, someone),
        signedLoginResponse(unknownKey, bench.to, someone),
        bench.to.acsUrl,
        '1 certificate on file',
      ),
      capped: signatureJunkKinds(
        signedLoginResponse(bench.idp, capped.to, someone),
        signedLoginResponse(unknownKey, capped.to, someone),
        capped.to.acsUrl,
        `${capped.connection.certificates.length} certificates on file`,
      ),
    };

    const sp = bareServiceProvider(bench.connection, {
      db: database.database.db,
      publicBaseUrl: bench.baseUrl,
      // The production default (SAML_CLOCK_SKEW_MS unset), as the API children run with it.
      clockSkewMs: loadConfig({}).samlClockSkewMs,
      now: () => new Date(),
    });
    const bareResponses = sign(settings.bareResponses, 'the bare baseline');
    // Checking every response once is also the baseline's warm-up.
    await checkAccepted(sp, bareResponses, emails);
    progress(`measuring bare node-saml validation for ${settings.measureMs} ms`);
    const before = cpuSnapshot(database.name);
    const bare = await measureBareValidation(sp, bareResponses, settings.measureMs);
    const bareCpu = cpuBetween(before, cpuSnapshot(database.name));

    const onePool = sign(poolSize(bare.perSecond), 'one API worker');
    const one = await withApi(bench, 1, async (api) => {
      const valid = await measureValidLogins(bench, api, onePool);
      const kinds = junkKinds(onePool[0] as string);
      const junk = [];
      for (const kind of kinds) junk.push(await measureJunk(bench, api, kind));
      // Not a target: the cheapest refusal the ACS gives (no body, an ID that is not a connection ID),
      // i.e. what Node's HTTP server, Express, the refusal page and its audit record cost alone.
      const floor = await measureJunk(bench, api, {
        label: 'floor: no body, not a connection ID',
        reasonCode: 'unknown_connection',
        status: 404,
        body: Buffer.alloc(0),
        url: `${bench.baseUrl}/saml/not-a-connection/acs`,
      });
      const single = [];
      for (const kind of signatureJunk.single) single.push(await measureJunk(bench, api, kind));
      const atCap = [];
      for (const kind of signatureJunk.capped) atCap.push(await measureJunk(bench, api, kind));
      return { valid, junk, floor, signatureJunk: { single, capped: atCap } };
    });

    // Two workers can at best double one worker's rate; the bare rate is the floor in case one worker did poorly.
    const twoPool = sign(poolSize(Math.max(bare.perSecond, 2 * one.valid.loginsPerSecond)), 'two API workers');
    const two = await withApi(bench, 2, (api) => measureValidLogins(bench, api, twoPool));

    // Measured again at the end: the machine's speed drifts within a run, and the ratios use the mean.
    progress(`measuring bare node-saml validation again for ${settings.measureMs} ms`);
    const beforeAgain = cpuSnapshot(database.name);
    const bareAgain = await measureBareValidation(sp, bareResponses, settings.measureMs);
    const bareAgainCpu = cpuBetween(beforeAgain, cpuSnapshot(database.name));

    // Both cores, as the two-worker target says (on a bigger machine, still two).
    const cores = Math.min(2, availableParallelism());
    progress(`measuring bare node-saml validation in ${cores} processes at once for ${settings.measureMs} ms`);
    const bareParallel = await measureBareInParallel(sp, bareResponses, settings.measureMs, cores);

    return acsReport({
      bareParallel,
      idleLoad,
      bare: [bare, bareAgain],
      bareCpu: [bareCpu, bareAgainCpu],
      one: one.valid,
      junk: one.junk,
      floor: one.floor,
      signatureJunk: one.signatureJunk,
      certificatesAtCap: capped.connection.certificates.length,
      two,
    });
  } finally {
    progress('dropping the bench database');
    await database.drop();
  }
}
