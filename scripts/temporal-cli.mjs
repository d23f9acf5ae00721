// Finds the `temporal` CLI as CONTRACT.md says: TEMPORAL_CLI_PATH, else PATH, else a per-user cache
// outside the repo, building it there once with `go install` (the Go module proxy is reachable where
// downloads of release binaries are not). Plain JavaScript so `npm install` can run it before anything
// is compiled.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// v1.5.1 is the newest tag whose go.mod has no `replace` directive, so `go install pkg@version` accepts it.
const versions = ['1.5.1', '1.4.1'];

export function temporalCacheDir() {
  const base = process.env.SSO_ONBOARDING_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sso-onboarding');
  return resolve(base);
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath() {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'temporal');
    if (isExecutable(candidate)) return resolve(candidate);
  }
  return undefined;
}

function cached() {
  for (const version of versions) {
    const candidate = join(temporalCacheDir(), `temporal-v${version}`, 'temporal');
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The absolute path of a usable `temporal` CLI, or undefined when there is none yet. */
export function findTemporalCli() {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    const path = resolve(fromEnv);
    if (!isExecutable(path)) throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file`);
    return path;
  }
  return onPath() ?? cached();
}

function hasGo() {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

function build(version, log) {
  const dir = join(temporalCacheDir(), `temporal-v${version}`);
  mkdirSync(dir, { recursive: true });
  log(`Building the temporal CLI v${version} into ${dir} (once per machine; several minutes on 2 cores)...`);
  const result = spawnSync(
    'go',
    [
      'install',
      '-ldflags',
      `-X github.com/temporalio/cli/temporalcli.Version=${version}`,
      `github.com/temporalio/cli/cmd/temporal@v${version}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, CGO_ENABLED: '0', GOBIN: dir } },
  );
  const path = join(dir, 'temporal');
  return result.status === 0 && isExecutable(path) ? path : undefined;
}

/** Finds the CLI or builds it; throws with a message that says what to do when neither works. */
export function ensureTemporalCli(log = (message) => console.error(message)) {
  const found = findTemporalCli();
  if (found) return found;
  if (!hasGo()) {
    throw new Error(
      'The temporal CLI was not found (TEMPORAL_CLI_PATH, PATH, or ' +
        `${temporalCacheDir()}) and Go is not installed to build it. Install Go >= 1.25, or put a temporal ` +
        'binary on PATH, or set TEMPORAL_CLI_PATH to one.',
    );
  }
  for (const version of versions) {
    const built = build(version, log);
    if (built) return built;
    log(`Building temporal v${version} failed${version === versions.at(-1) ? '' : '; trying the next version'}.`);
  }
  throw new Error(
    'Could not build the temporal CLI with `go install` (is the Go module proxy reachable?). ' +
      'Set TEMPORAL_CLI_PATH to an existing temporal binary instead.',
  );
}

export function temporalCliVersion(path) {
  return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
}

const invokedDirectly = process.argv[1] && isAbsolute(process.argv[1]) && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  if (process.env.SSO_SKIP_TEMPORAL_CLI === '1') {
    console.error('SSO_SKIP_TEMPORAL_CLI=1: not looking for the temporal CLI.');
  } else {
    try {
      const path = ensureTemporalCli();
      console.error(`temporal CLI: ${path} (${temporalCliVersion(path)})`);
      if (process.argv.includes('--print')) console.log(path);
    } catch (error) {
      console.error(`\n${error.message}\n`);
      process.exit(1);
    }
  }
}
