// A real, independent SAML 2.0 IdP for tests and for `npm run dev`'s demo IdP: SimpleSAMLphp 1.19 (Debian package `simplesamlphp`)
// served by PHP's built-in web server on 127.0.0.1, with a throw-away configuration per start.
//
// Needs: apt-get install -y simplesamlphp php-cli php-xml php-mbstring
// (php-xml provides DOMDocument; without it every SAML page fails with `Class "DOMDocument" not found`).

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from './selfSigned.js';

export const SIMPLESAMLPHP_WWW_DIR = '/usr/share/simplesamlphp/www';
export const SIMPLESAMLPHP_DEFAULT_CONFIG = '/etc/simplesamlphp/config.php';

export const NAMEID_FORMAT_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
export const BINDING_HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
export const BINDING_HTTP_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

const AUTH_SOURCE = 'test-userpass';
/** SIMPLESAMLPHP_IDP_DEBUG=1: copy php's output to stderr and keep the temp dir (config, logs) after stop(). */
const DEBUG = process.env.SIMPLESAMLPHP_IDP_DEBUG === '1';
const START_TIMEOUT_MS = 20_000;

export interface SimpleSamlSp {
  entityId: string;
  acsUrl: string;
}

export interface SimpleSamlUser {
  /** Must not contain ":" (exampleauth:UserPass keys are "username:password"). */
  username: string;
  password: string;
  /** Becomes the NameID (format emailAddress) and the `email` attribute. */
  email: string;
  /** Extra attributes. `email` is always overwritten with [email]; `uid` defaults to [username]. */
  attributes?: Record<string, string[]>;
}

export interface SimpleSamlIdpOptions {
  sp: SimpleSamlSp[];
  users: SimpleSamlUser[];
  /** Defaults to a free port on 127.0.0.1. */
  port?: number;
  /** saml20.sign.response, default true. */
  signResponse?: boolean;
  /** saml20.sign.assertion, default false. */
  signAssertion?: boolean;
  /** The signing key and certificate; a fresh one for every start when absent. */
  certificate?: SelfSignedCertificate;
  /**
   * Trust every SP whose entity ID is `<prefix><id>/metadata` (its ACS `<prefix><id>/acs`), learnt from the
   * AuthnRequest's Issuer: `npm run dev` passes `<base URL>/saml/`, so each connection made there signs in.
   */
  trustServiceProvidersUnder?: string;
}

export interface SimpleSamlIdp {
  /** http://127.0.0.1:PORT/simplesaml (no trailing slash). */
  baseUrl: string;
  /** The IdP's entity ID (= its metadata URL). */
  entityId: string;
  /** SingleSignOnService for both HTTP-Redirect (GET) and HTTP-POST. */
  ssoUrl: string;
  /** The IdP's own SAML 2.0 metadata document, as served by SimpleSAMLphp. */
  metadataXml: string;
  /** The signing certificate (PEM), fresh for every start. */
  certificatePem: string;
  /** URL that starts an IdP-initiated login towards that SP (optionally with a RelayState). */
  idpInitiatedUrl(spEntityId: string, relayState?: string): string;
  /** Registers another SP while the IdP runs (for SPs whose entity ID is known only later). */
  addServiceProvider(sp: SimpleSamlSp): Promise<void>;
  stop(): Promise<void>;
}

export async function startSimpleSamlIdp(options: SimpleSamlIdpOptions): Promise<SimpleSamlIdp> {
  validateOptions(options);
  if (!existsSync(join(SIMPLESAMLPHP_WWW_DIR, 'module.php'))) {
    throw new Error(
      `SimpleSAMLphp not found at ${SIMPLESAMLPHP_WWW_DIR}; install it with: apt-get install -y simplesamlphp php-cli php-xml php-mbstring`,
    );
  }

  const cert = options.certificate ?? (await generateSelfSignedCertificate({ commonName: 'SimpleSAMLphp test IdP' }));
  const dir = await mkdtemp(join(tmpdir(), 'simplesamlphp-idp-'));
  let server: RunningServer | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await findFreePort());
      await writeConfiguration(dir, port, options, cert);
      try {
        server = await startPhpServer(dir, port);
        break;
      } catch (error) {
        // A free port found by probing can be taken before php binds it; retry only in that case.
        if (options.port === undefined && error instanceof PortInUseError && attempt < 5) continue;
        throw error;
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const running = server;
  const baseUrl = `http://127.0.0.1:${running.port}/simplesaml`;
  const entityId = `${baseUrl}/saml2/idp/metadata.php`;
  const ssoUrl = `${baseUrl}/saml2/idp/SSOService.php`;

  const serviceProviders = [...options.sp];
  let stopped = false;
  const cleanupOnExit = (): void => {
    running.child.kill('SIGKILL');
    if (!DEBUG) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanupOnExit);

  return {
    baseUrl,
    entityId,
    ssoUrl,
    metadataXml: running.metadataXml,
    certificatePem: cert.certificatePem,
    idpInitiatedUrl(spEntityId: string, relayState?: string): string {
      const url = new URL(ssoUrl);
      url.searchParams.set('spentityid', spEntityId);
      if (relayState !== undefined) url.searchParams.set('RelayState', relayState);
      return url.toString();
    },
    async addServiceProvider(sp: SimpleSamlSp): Promise<void> {
      serviceProviders.push(sp);
      await writeSpRemote(join(dir, 'metadata'), serviceProviders, options.trustServiceProvidersUnder);
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', cleanupOnExit);
      await stopChild(running.child);
      if (DEBUG) process.stderr.write(`SimpleSAMLphp IdP files kept in ${dir}\n`);
      else await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Configuration

function validateOptions(options: SimpleSamlIdpOptions): void {
  if (options.users.length === 0) throw new Error('startSimpleSamlIdp: at least one user is required');
  const seen = new Set<string>();
  for (const user of options.users) {
    if (user.username === '' || user.username.includes(':')) {
      throw new Error(`startSimpleSamlIdp: username must be non-empty and without ":" (${JSON.stringify(user.username)})`);
    }
    if (seen.has(user.username)) throw new Error(`startSimpleSamlIdp: duplicate username ${user.username}`);
    seen.add(user.username);
    if (user.email === '') throw new Error(`startSimpleSamlIdp: user ${user.username} has no email`);
  }
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65535)) {
    throw new Error(`startSimpleSamlIdp: invalid port ${options.port}`);
  }
}

/** A PHP expression written verbatim (for constants such as SimpleSAML\Logger::INFO). */
class PhpCode {
  constructor(readonly code: string) {}
}

type PhpValue = string | number | boolean | null | PhpCode | PhpValue[] | { [key: string]: PhpValue };

function php(value: PhpValue, indent = ''): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('cannot write a non-finite number to PHP');
    return String(value);
  }
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (value instanceof PhpCode) return value.code;
  const inner = `${indent}    `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${inner}${php(v, inner)},\n`).join('')}${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '[]';
  // PHP turns the key '0' into the integer 0 by itself, which auth sources rely on.
  return `[\n${entries.map(([k, v]) => `${inner}${php(k)} => ${php(v, inner)},\n`).join('')}${indent}]`;
}

async function writeConfiguration(
  dir: string,
  port: number,
  options: SimpleSamlIdpOptions,
  cert: { privateKeyPem: string; certificatePem: string },
): Promise<void> {
  const baseUrl = `http://127.0.0.1:${port}/simplesaml`;
  const entityId = `${baseUrl}/saml2/idp/metadata.php`;
  const paths = {
    config: join(dir, 'config'),
    metadata: join(dir, 'metadata'),
    cert: join(dir, 'cert'),
    log: join(dir, 'log'),
    data: join(dir, 'data'),
    temp: join(dir, 'tmp'),
    sessions: join(dir, 'sessions'),
  };
  for (const p of Object.values(paths)) await mkdir(p, { recursive: true });

  await writeFile(join(paths.cert, 'idp.key'), cert.privateKeyPem, { mode: 0o600 });
  await writeFile(join(paths.cert, 'idp.crt'), cert.certificatePem);

  // config.php: Debian's file, minus its require of the package's secrets, plus our overrides.
  let base: string;
  try {
    base = await readFile(SIMPLESAMLPHP_DEFAULT_CONFIG, 'utf8');
  } catch {
    throw new Error(`cannot read ${SIMPLESAMLPHP_DEFAULT_CONFIG}; is the simplesamlphp package installed?`);
  }
  base = base.replace(/^\s*require(_once)?\s*\(?\s*['"][^'"]*secrets\.inc\.php['"]\s*\)?\s*;\s*$/m, '');
  base = base.replace(/\?>\s*$/, '');
  const overrides: PhpValue = {
    baseurlpath: `${baseUrl}/`,
    certdir: `${paths.cert}/`,
    loggingdir: `${paths.log}/`,
    datadir: `${paths.data}/`,
    tempdir: paths.temp,
    metadatadir: `${paths.metadata}/`,
    secretsalt: randomBytes(24).toString('hex'),
    'auth.adminpassword': randomBytes(12).toString('hex'),
    timezone: 'UTC',
    'admin.checkforupdates': false,
    'enable.saml20-idp': true,
    'enable.shib13-idp': false,
    'module.enable': { exampleauth: true, core: true, saml: true },
    'session.cookie.secure': false,
    'language.cookie.secure': false,
    // Debian's default is SameSite=None, which a real browser drops on plain http (None needs Secure).
    'session.cookie.samesite': 'Lax',
    'language.cookie.samesite': 'Lax',
    'session.phpsession.savepath': paths.sessions,
    'store.type': 'phpsession',
    'logging.handler': 'file',
    'logging.logfile': 'simplesamlphp.log',
    'logging.level': new PhpCode('SimpleSAML\\Logger::INFO'),
    'statistics.out': [],
    'authproc.idp': {},
    'authproc.sp': {},
    'metadata.sources': [{ type: 'flatfile' }],
    errorreporting: false,
    showerrors: true,
  };
  await writeFile(
    join(paths.config, 'config.php'),
    `${base}\n\n// Overrides written by scripts/local/simplesamlphp.ts\n$config = array_replace($config, ${php(overrides)});\n`,
  );

  const authSource: Record<string, PhpValue> = { '0': 'exampleauth:UserPass' };
  for (const user of options.users) {
    authSource[`${user.username}:${user.password}`] = {
      uid: [user.username],
      ...user.attributes,
      email: [user.email],
    };
  }
  await writeFile(
    join(paths.config, 'authsources.php'),
    `<?php\n$config = ${php({ admin: ['core:AdminPassword'], [AUTH_SOURCE]: authSource })};\n`,
  );

  const idpHosted: PhpValue = {
    host: '__DEFAULT__',
    privatekey: join(paths.cert, 'idp.key'),
    certificate: join(paths.cert, 'idp.crt'),
    auth: AUTH_SOURCE,
    NameIDFormat: NAMEID_FORMAT_EMAIL,
    'simplesaml.nameidattribute': 'email',
    'attributes.NameFormat': 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
    'signature.algorithm': RSA_SHA256,
    // Advertise both bindings in the IdP metadata (SSOService.php accepts both either way).
    SingleSignOnServiceBinding: [BINDING_HTTP_REDIRECT, BINDING_HTTP_POST],
    'saml20.sign.response': options.signResponse ?? true,
    'saml20.sign.assertion': options.signAssertion ?? false,
  };
  await writeFile(join(paths.metadata, 'saml20-idp-hosted.php'), `<?php\n$metadata[${php(entityId)}] = ${php(idpHosted)};\n`);

  await writeSpRemote(paths.metadata, options.sp, options.trustServiceProvidersUnder);

  await writeFile(join(dir, 'router.php'), ROUTER_PHP);
}

/** SimpleSAMLphp reads this file on every request, so SPs can be added while the IdP runs. */
async function writeSpRemote(metadataDir: string, sps: SimpleSamlSp[], trustUnder: string | undefined): Promise<void> {
  // One entry per SP entity ID; several acsUrl for the same entity ID become several endpoints.
  const spRemote = new Map<string, string[]>();
  for (const sp of sps) spRemote.set(sp.entityId, [...(spRemote.get(sp.entityId) ?? []), sp.acsUrl]);
  let spFile = '<?php\n';
  for (const [spEntityId, acsUrls] of spRemote) {
    const entry: PhpValue = {
      AssertionConsumerService: acsUrls.map((location, index) => ({
        Binding: BINDING_HTTP_POST,
        Location: location,
        index,
        isDefault: index === 0,
      })),
      NameIDFormat: NAMEID_FORMAT_EMAIL,
      'simplesaml.nameidattribute': 'email',
      // Unsigned AuthnRequests are accepted (this is also SimpleSAMLphp's default); stated for clarity.
      'validate.authnrequest': false,
    };
    spFile += `$metadata[${php(spEntityId)}] = ${php(entry)};\n`;
  }
  if (trustUnder !== undefined) spFile += trustedSpsPhp(join(metadataDir, 'trusted-sps.json'), trustUnder);
  await writeFile(join(metadataDir, 'saml20-sp-remote.php'), spFile);
}

/**
 * PHP appended to saml20-sp-remote.php (read on every request): an AuthnRequest whose Issuer is
 * `<prefix><id>/metadata` adds that SP to a JSON file (the request that resumes after the login form no
 * longer carries it), and every SP in the file gets its entry.
 */
function trustedSpsPhp(file: string, prefix: string): string {
  return `
$trustedFile = ${php(file)};
$trusted = is_file($trustedFile) ? (json_decode((string) file_get_contents($trustedFile), true) ?: []) : [];
$request = $_GET['SAMLRequest'] ?? $_POST['SAMLRequest'] ?? null;
$issuer = $_GET['spentityid'] ?? null;
if (is_string($request) && strlen($request) < 65536) {
    $xml = base64_decode($request, true);
    if ($xml !== false && isset($_GET['SAMLRequest'])) $xml = @gzinflate($xml);
    if (is_string($xml) && preg_match('#<(?:saml2?:)?Issuer[^>]*>([^<]+)</#', $xml, $m)) $issuer = trim($m[1]);
}
$pattern = '#^' . preg_quote(${php(prefix)}, '#') . '([A-Za-z0-9_-]{1,80})/metadata$#';
if (is_string($issuer) && preg_match($pattern, $issuer) && !in_array($issuer, $trusted, true) && count($trusted) < 1000) {
    $trusted[] = $issuer;
    file_put_contents($trustedFile, json_encode($trusted), LOCK_EX);
}
foreach ($trusted as $entityId) {
    if (!is_string($entityId) || !preg_match($pattern, $entityId) || isset($metadata[$entityId])) continue;
    $metadata[$entityId] = [
        'AssertionConsumerService' => [['Binding' => ${php(BINDING_HTTP_POST)}, 'Location' => substr($entityId, 0, -strlen('/metadata')) . '/acs', 'index' => 0, 'isDefault' => true]],
        'NameIDFormat' => ${php(NAMEID_FORMAT_EMAIL)},
        'simplesaml.nameidattribute' => 'email',
        'validate.authnrequest' => false,
    ];
}
`;
}

// Router for `php -S`: serves SimpleSAMLphp's www/ folder under /simplesaml/, runs the first
// existing *.php along the path with the rest as PATH_INFO, and serves static files itself.
const ROUTER_PHP = `<?php
$www = ${php(SIMPLESAMLPHP_WWW_DIR)};
$prefix = '/simplesaml';
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH);
if (!is_string($path)) {
    http_response_code(400);
    echo "bad request\\n";
    return true;
}
$path = rawurldecode($path);
if ($path === $prefix) {
    header('Location: ' . $prefix . '/', true, 302);
    return true;
}
if (strncmp($path, $prefix . '/', strlen($prefix) + 1) !== 0 || strpos($path, "\\0") !== false
    || preg_match('#(^|/)\\.\\.?(/|$)#', $path)) {
    http_response_code(404);
    echo "not found\\n";
    return true;
}
$rel = substr($path, strlen($prefix)); // starts with '/'
$script = null;
$offset = 0;
while (($pos = strpos($rel, '.php', $offset)) !== false) {
    $candidate = substr($rel, 0, $pos + 4);
    $next = substr($rel, $pos + 4, 1);
    if (($next === '' || $next === '/') && is_file($www . $candidate)) {
        $script = $candidate;
        break;
    }
    $offset = $pos + 4;
}
if ($script === null) {
    $file = $www . $rel;
    if (is_dir($file) && is_file(rtrim($file, '/') . '/index.php')) {
        if (substr($rel, -1) !== '/') {
            header('Location: ' . $prefix . $rel . '/', true, 302);
            return true;
        }
        $script = rtrim($rel, '/') . '/index.php';
    } elseif (is_file($file)) {
        $types = [
            'css' => 'text/css', 'js' => 'application/javascript', 'png' => 'image/png',
            'gif' => 'image/gif', 'jpg' => 'image/jpeg', 'jpeg' => 'image/jpeg', 'svg' => 'image/svg+xml',
            'ico' => 'image/x-icon', 'woff' => 'font/woff', 'woff2' => 'font/woff2', 'ttf' => 'font/ttf',
            'eot' => 'application/vnd.ms-fontobject', 'json' => 'application/json', 'html' => 'text/html',
            'txt' => 'text/plain', 'xml' => 'application/xml',
        ];
        $ext = strtolower(pathinfo($file, PATHINFO_EXTENSION));
        header('Content-Type: ' . ($types[$ext] ?? 'application/octet-stream'));
        header('Content-Length: ' . filesize($file));
        readfile($file);
        return true;
    } else {
        http_response_code(404);
        echo "not found\\n";
        return true;
    }
}
$pathInfo = (string) substr($rel, strlen($script));
$_SERVER['SCRIPT_FILENAME'] = $www . $script;
$_SERVER['SCRIPT_NAME'] = $prefix . $script;
$_SERVER['PHP_SELF'] = $prefix . $script . $pathInfo;
if ($pathInfo !== '') {
    $_SERVER['PATH_INFO'] = $pathInfo;
} else {
    unset($_SERVER['PATH_INFO']);
}
unset($_SERVER['PATH_TRANSLATED']);
chdir(dirname($www . $script));
require $www . $script;
return true;
`;

// ---------------------------------------------------------------------------------------------
// The PHP process

class PortInUseError extends Error {}

interface RunningServer {
  child: ChildProcess;
  port: number;
  metadataXml: string;
}

async function findFreePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      if (address === null || typeof address === 'string') {
        probe.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      probe.close(() => resolve(address.port));
    });
  });
}

function phpEnvironment(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: join(dir, 'config') };
  // One process only: with workers, php -S forks children that stop() would have to hunt down.
  delete env.PHP_CLI_SERVER_WORKERS;
  return env;
}

async function startPhpServer(dir: string, port: number): Promise<RunningServer> {
  const child = spawn(
    'php',
    [
      '-d',
      'display_errors=0',
      '-d',
      'log_errors=1',
      '-d',
      'error_reporting=E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED',
      '-d',
      `session.save_path=${join(dir, 'sessions')}`,
      '-S',
      `127.0.0.1:${port}`,
      '-t',
      SIMPLESAMLPHP_WWW_DIR,
      join(dir, 'router.php'),
    ],
    {
      cwd: dir,
      env: phpEnvironment(dir),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );

  // Keep the last bit of the server's output for error messages (and keep the pipes drained).
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-16_384);
    if (DEBUG) process.stderr.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  child.once('error', (error) => {
    spawnError = error;
  });

  const metadataUrl = `http://127.0.0.1:${port}/simplesaml/saml2/idp/metadata.php`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastProblem = '';
  try {
    for (;;) {
      if (spawnError) throw new Error(`could not run php: ${spawnError.message}`);
      if (exited) {
        if (/Address already in use/i.test(output)) throw new PortInUseError(`port ${port} is in use`);
        throw new Error(`php -S exited (code ${exited.code}, signal ${exited.signal}) before SimpleSAMLphp answered:\n${output}`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `SimpleSAMLphp did not answer ${metadataUrl} within ${START_TIMEOUT_MS} ms (${lastProblem}):\n${output}${readLogTail(dir)}`,
        );
      }
      try {
        const response = await fetch(metadataUrl, { signal: AbortSignal.timeout(5_000) });
        const body = await response.text();
        if (response.status === 200 && body.includes('EntityDescriptor')) {
          return { child, port, metadataXml: body };
        }
        lastProblem = `HTTP ${response.status}: ${body.slice(0, 2000)}`;
        if (response.status >= 500) {
          // A configuration error will not go away by waiting.
          throw new Error(`SimpleSAMLphp metadata endpoint failed: ${lastProblem}\n${output}${readLogTail(dir)}`);
        }
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('SimpleSAMLphp metadata endpoint failed')) throw error;
        lastProblem = error instanceof Error ? `${error.message}${causeOf(error)}` : String(error);
      }
      await delay(25);
    }
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

function causeOf(error: Error): string {
  const cause: unknown = error.cause;
  return cause instanceof Error ? ` (${cause.message})` : '';
}

function readLogTail(dir: string): string {
  try {
    return `\nsimplesamlphp.log:\n${readFileSync(join(dir, 'log', 'simplesamlphp.log'), 'utf8').slice(-4000)}`;
  } catch {
    return '';
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), delay(3_000).then(() => true)]);
  if (timedOut) {
    child.kill('SIGKILL');
    await exited;
  }
}
