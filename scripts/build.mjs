// `npm run build`: compiles the product code (tsconfig.build.json) into dist/ as plain JavaScript, so
// production runs `node dist/api/main.js` with no tsx. `--if-stale` (the preapi/preworker/predb:migrate
// steps) builds only when the sources differ from what dist/ was built from, so `npm run api` works on a
// fresh clone and after every edit; `--at-install` (postinstall) is `--if-stale` that never fails
// `npm install`: it skips where the sources or TypeScript are absent (the Docker install stages) and only
// warns when the code does not compile, leaving the error to the next build. `--out-dir DIR` builds
// elsewhere (the compiled-build test). Plain JavaScript so it runs before anything is compiled.
//
// Files the code reads at run time by a path relative to its own file (db/migrations, api/pages/app.css)
// are copied into the output beside the compiled modules, rather than looked up from the package root:
// then `new URL('./migrations', import.meta.url)` means the same thing from sources and from dist/, the
// code needs no "where am I running from" logic, and dist/ plus node_modules is all an image needs.
// The rule is "every file in the built folders that tsc does not compile", so a new asset needs no edit here.
//
// Several `npm run api` / `npm run worker` may start at once on a fresh clone: one builds (under a lock
// folder beside the output), the others wait and then find dist/ up to date. The output is built into a
// temporary folder and swapped in whole, so a process starting meanwhile never sees half a build.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const configFile = join(root, 'tsconfig.build.json');
const fingerprintFile = '.build-fingerprint';

function parseArgs(argv) {
  const options = { outDir: join(root, 'dist'), ifStale: false, atInstall: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--if-stale') options.ifStale = true;
    else if (argv[i] === '--at-install') options.ifStale = options.atInstall = true;
    else if (argv[i] === '--out-dir' && argv[i + 1]) options.outDir = resolve(argv[++i]);
    else throw new Error(`usage: node scripts/build.mjs [--if-stale | --at-install] [--out-dir DIR] (not ${argv[i]})`);
  }
  return options;
}

function filesUnder(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  // Dotfiles (editors' swap files and the like) are neither built nor copied.
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => filesUnder(join(path, entry.name)));
}

/** Every file tsconfig.build.json includes, as absolute paths. */
function inputFiles() {
  const { include } = JSON.parse(readFileSync(configFile, 'utf8'));
  return include.flatMap((entry) => filesUnder(join(root, entry)));
}

const compiled = (file) => file.endsWith('.ts');

/** What the output is built from: the included files, both tsconfigs and this script. */
function fingerprint() {
  const hash = createHash('sha256');
  for (const file of [...inputFiles(), join(root, 'tsconfig.json'), configFile, fileURLToPath(import.meta.url)]) {
    let content;
    try {
      content = readFileSync(file);
    } catch (error) {
      // Deleted since it was listed (an edit in progress): its absence is part of the fingerprint.
      if (error.code !== 'ENOENT') throw error;
      content = '';
    }
    hash.update(relative(root, file)).update('\0').update(content).update('\0');
  }
  return hash.digest('hex');
}

function upToDate(outDir, wanted) {
  try {
    return readFileSync(join(outDir, fingerprintFile), 'utf8').trim() === wanted;
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function lockHolder(lock) {
  try {
    const pid = Number.parseInt(readFileSync(join(lock, 'pid'), 'utf8'), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function olderThan(path, ms) {
  try {
    return Date.now() - statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}

/** A lock folder holding the builder's pid; one left by a build that died is taken over. */
async function withLock(outDir, run) {
  const lock = `${outDir}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  let said = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = lockHolder(lock);
      // No pid (yet): the holder is between mkdir and writing it, or died there long ago.
      if (holder === undefined ? olderThan(lock, 30_000) : !alive(holder)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`${relative(root, lock)} is still held by process ${holder}; remove it if no build is running`);
      if (!said) console.error(`waiting for the build in process ${holder ?? '?'} to finish...`);
      said = true;
      await sleep(200);
    }
  }
  try {
    return await run();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function tscPath() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    throw new Error(
      'dist/ is missing or older than the sources, and TypeScript (a dev dependency) is not installed to build it: ' +
        'run `npm install` (with dev dependencies), then `npm run build`.',
    );
  }
}

/** Relative imports in the emitted JavaScript that point at nothing (e.g. a .mjs or .ts file tsc does not emit). */
function danglingImports(outDir) {
  const found = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const file of filesUnder(outDir).filter((f) => f.endsWith('.js'))) {
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(pattern)) {
      if (!existsSync(resolve(dirname(file), specifier))) found.push(`${relative(outDir, file)} imports ${specifier}`);
    }
  }
  return found;
}

function build(outDir, wanted) {
  const staging = `${outDir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [tscPath(), '-p', configFile, '--outDir', staging], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`tsc -p tsconfig.build.json failed (exit ${tsc.status ?? tsc.signal})`);
  }
  let assets = 0;
  for (const file of inputFiles().filter((f) => !compiled(f))) {
    const target = join(staging, relative(root, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
    assets++;
  }
  const dangling = danglingImports(staging);
  if (dangling.length > 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`the compiled code imports files the build does not produce:\n  ${dangling.join('\n  ')}`);
  }
  writeFileSync(join(staging, fingerprintFile), `${wanted}\n`);
  // Swap the new output in whole: the old one is moved aside, then removed.
  const old = `${outDir}.old-${process.pid}`;
  try {
    renameSync(outDir, old);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  renameSync(staging, outDir);
  rmSync(old, { recursive: true, force: true });
  return assets;
}

function typescriptInstalled() {
  try {
    tscPath();
    return true;
  } catch {
    return false;
  }
}

async function main() {
  const { outDir, ifStale, atInstall } = parseArgs(process.argv.slice(2));
  const shown = relative(process.cwd(), outDir) || '.';
  if (atInstall && !(existsSync(configFile) && typescriptInstalled())) return;
  if (atInstall) {
    try {
      await buildIfStale(outDir, shown, ifStale);
    } catch (error) {
      console.error(`npm install could not build ${shown}/ (npm run build, npm run api and npm run worker will try again):`);
      console.error(error instanceof Error ? error.message : error);
    }
    return;
  }
  await buildIfStale(outDir, shown, ifStale);
}

async function buildIfStale(outDir, shown, ifStale) {
  // An image or tarball holding dist/ without the sources: nothing to compare with, dist/ is what there is.
  if (ifStale && !existsSync(configFile) && existsSync(join(outDir, fingerprintFile))) return;
  if (ifStale && upToDate(outDir, fingerprint())) return;
  await withLock(outDir, async () => {
    const wanted = fingerprint();
    // Another process may have built it while this one waited for the lock.
    if (ifStale && upToDate(outDir, wanted)) return;
    if (ifStale) console.error(`${shown}/ is missing or older than the sources; building it (npm run build)...`);
    const assets = build(outDir, wanted);
    console.error(`built ${shown}/ (tsc -p tsconfig.build.json, ${assets} asset files copied)`);
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
