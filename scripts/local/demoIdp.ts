// `npm run dev`'s demo IdP, an implementation independent of our SP code: SimpleSAMLphp where it is
// installed, samlify otherwise; its signing key is kept in the data folder so the demo connection's
// certificate stays valid from one start to the next.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSamlifyIdp } from './samlifyIdp.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from './selfSigned.js';
import { SIMPLESAMLPHP_WWW_DIR, startSimpleSamlIdp } from './simplesamlphp.js';

export interface DemoIdp {
  kind: 'SimpleSAMLphp' | 'samlify';
  /** Also the URL of its metadata. */
  entityId: string;
  ssoUrl: string;
  certificatePem: string;
  stop(): Promise<void>;
}

/** DEV_DEMO_IDP: `simplesamlphp`, `samlify`, or `off`; unset, SimpleSAMLphp where installed, else samlify. */
export type DemoIdpChoice = 'simplesamlphp' | 'samlify' | 'off';

export const demoIdpInstall = 'apt-get install -y simplesamlphp php-cli php-xml php-mbstring';

/** Why SimpleSAMLphp cannot start here, or undefined when it can. */
export function simpleSamlPhpUnavailable(): string | undefined {
  if (!existsSync(join(SIMPLESAMLPHP_WWW_DIR, 'module.php'))) return `SimpleSAMLphp is not installed (${demoIdpInstall})`;
  try {
    execFileSync('php', ['-r', 'exit(class_exists("DOMDocument") ? 0 : 3);'], { stdio: 'ignore' });
  } catch {
    return `php with its XML extension is missing (${demoIdpInstall})`;
  }
  return undefined;
}

async function persistentCertificate(dir: string): Promise<SelfSignedCertificate> {
  const file = join(dir, 'signing.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as SelfSignedCertificate;
  mkdirSync(dir, { recursive: true });
  // Ten years: a demo that stops working on its own one day would look like our bug.
  const certificate = await generateSelfSignedCertificate({ commonName: 'Demo IdP (SimpleSAMLphp)', validDays: 3650 });
  writeFileSync(file, JSON.stringify(certificate), { mode: 0o600 });
  return certificate;
}

export async function startDemoIdp(options: {
  choice: DemoIdpChoice | undefined;
  dataDir: string;
  port: number;
  /** Every SP under `<publicBaseUrl>/saml/` is trusted, so connections made in the walkthrough sign in too. */
  publicBaseUrl: string;
  users: string[];
  password: string;
}): Promise<DemoIdp> {
  const certificate = await persistentCertificate(join(options.dataDir, 'demo-idp'));
  const trustServiceProvidersUnder = `${options.publicBaseUrl}/saml/`;
  const missing = simpleSamlPhpUnavailable();
  if (options.choice === 'simplesamlphp' && missing) throw new Error(`DEV_DEMO_IDP=simplesamlphp, but ${missing}`);
  if (options.choice === 'samlify' || (options.choice === undefined && missing)) {
    const idp = await startSamlifyIdp({
      port: options.port,
      certificate,
      trustServiceProvidersUnder,
      users: options.users,
      password: options.password,
    });
    return { kind: 'samlify', ...pick(idp) };
  }
  const idp = await startSimpleSamlIdp({
    port: options.port,
    certificate,
    sp: [],
    trustServiceProvidersUnder,
    users: options.users.map((email) => ({ username: email, password: options.password, email })),
  });
  return { kind: 'SimpleSAMLphp', ...pick(idp) };
}

const pick = (idp: Omit<DemoIdp, 'kind'>) => ({
  entityId: idp.entityId,
  ssoUrl: idp.ssoUrl,
  certificatePem: idp.certificatePem,
  stop: () => idp.stop(),
});
