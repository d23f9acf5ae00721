// `npm test`'s pretest step: the Debian packages the real-IdP, browser and DNS tests use. Installed
// when this runs as root on Debian; otherwise it stops at once with the one command to run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const phpModules = () => {
  try {
    return execFileSync('php', ['-m'], { encoding: 'utf8' }).toLowerCase().split('\n');
  } catch {
    return [];
  }
};

/** Each package with how to tell it is there. */
export function missingTestPackages() {
  const modules = phpModules();
  const checks = [
    // The real, independent IdP of the SAML tests.
    ['simplesamlphp', () => existsSync('/usr/share/simplesamlphp/www')],
    ['php-cli', () => has('php')],
    ['php-xml', () => modules.includes('dom')],
    ['php-mbstring', () => modules.includes('mbstring')],
    // The second, independent XML signer for crafted responses.
    ['xmlsec1', () => has('xmlsec1')],
    // The browser of the browser tests (driven by playwright-core).
    ['chromium', () => has('chromium')],
    // A real DNS server on loopback for the domain-ownership checks.
    ['dnsmasq-base', () => has('dnsmasq') || existsSync('/usr/sbin/dnsmasq')],
  ];
  return checks.filter(([, present]) => !present()).map(([name]) => name);
}

const missing = missingTestPackages();
if (missing.length > 0) {
  const command = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  const root = process.getuid?.() === 0;
  if (!root || !existsSync('/etc/debian_version')) {
    console.error(`The tests need these Debian packages: ${missing.join(', ')}. Install them with:\n  sudo ${command}`);
    process.exit(1);
  }
  console.error(`Installing the Debian packages the tests use: ${missing.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', ...missing],
  ]) {
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (result.status !== 0) {
      console.error(`apt-get ${args[0]} failed; run it yourself:\n  ${command}`);
      process.exit(1);
    }
  }
  const still = missingTestPackages();
  if (still.length > 0) {
    console.error(`Still missing after installing: ${still.join(', ')}`);
    process.exit(1);
  }
}
