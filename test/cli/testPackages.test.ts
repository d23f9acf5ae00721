// npm test's pretest step (issue #11, item 8): it names the Debian packages the tests need and, when it
// cannot install them (not root), stops at once with the one command to run.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../scripts/test-packages.mjs', import.meta.url));
// A PATH with node and nothing else: php, xmlsec1 and chromium are not found on it.
const bin = mkdtempSync(join(tmpdir(), 'sso-path-'));
chmodSync(bin, 0o755);
symlinkSync(process.execPath, join(bin, 'node'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));

const run = (asUser?: string) =>
  spawnSync(asUser ? '/usr/sbin/runuser' : process.execPath, asUser ? ['-u', asUser, '--', join(bin, 'node'), script] : [script], {
    env: { PATH: bin },
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('the pretest check of Debian packages', () => {
  it('passes on a machine that has them', () => {
    const result = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
  });

  it('stops a user who cannot install them with the one command to run', () => {
    const result = run(process.getuid?.() === 0 ? 'nobody' : undefined);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('The tests need these Debian packages: php-cli, php-xml, php-mbstring, xmlsec1, chromium.');
    expect(result.stderr).toContain('sudo apt-get update && apt-get install -y php-cli php-xml php-mbstring xmlsec1 chromium');
  });
});
