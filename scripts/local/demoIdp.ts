// `npm run dev`'s demo IdP: SimpleSAMLphp (an implementation independent of our SP code) where it is
// installed, with a signing key kept in the data folder so the demo connection's certificate stays valid.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from './selfSigned.js';
import { SIMPLESAMLPHP_WWW_DIR, type SimpleSamlIdp, startSimpleSamlIdp } from './simplesamlphp.js';

export const demoIdpInstall = 'apt-get install -y simplesamlphp php-cli php-xml php-mbstring';

/** Why the demo IdP cannot start here, or undefined when it can. */
export function demoIdpUnavailable(): string | undefined {
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
  dataDir: string;
  port: number;
  /** Every SP under `<publicBaseUrl>/saml/` is trusted, so connections made in the walkthrough sign in too. */
  publicBaseUrl: string;
  users: string[];
  password: string;
}): Promise<SimpleSamlIdp> {
  return await startSimpleSamlIdp({
    port: options.port,
    certificate: await persistentCertificate(join(options.dataDir, 'demo-idp')),
    sp: [],
    trustServiceProvidersUnder: `${options.publicBaseUrl}/saml/`,
    users: options.users.map((email) => ({ username: email, password: options.password, email })),
  });
}
