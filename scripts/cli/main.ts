// Dispatch and exit codes: 0 done, 1 the API refused, 2 usage error, 3 the API cannot be reached, 4 (watch) cancelled.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ApiRefusal, ApiUnreachable, type CliContext, supportApi } from './api.js';
import { type Command, UsageError } from './args.js';
import { commands } from './commands.js';
import { cancelledExitCode } from './watch.js';

export const exitCodes = { ok: 0, refused: 1, usage: 2, unreachable: 3, cancelled: cancelledExitCode } as const;

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown };
  stderr: { isTTY?: boolean; write(text: string): unknown };
}

const defaultApiUrl = 'http://localhost:3000';
/** Where `npm run dev` keeps the token it generates, so a local CLI needs no setup. */
const devTokenFile = fileURLToPath(new URL('../../.data/support-token', import.meta.url));

const commonOptions = "Options: --json prints the API's JSON answer instead of text (every command but watch and help).";

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((line) => by + line)
    .join('\n');

export function usage(): string {
  return [
    'Usage: npm run cli -- <command> [args]',
    '',
    `Talks to the support API at API_URL (default ${defaultApiUrl}) with the bearer token SUPPORT_API_TOKEN`,
    '(without API_URL and SUPPORT_API_TOKEN, the token `npm run dev` saved in .data/support-token).',
    '',
    'Commands:',
    ...Object.values(commands).map((c) => `${indent(c.usage, '  ')}\n${indent(c.summary, '      ')}`),
    "  help [COMMAND]\n      this text, or one command's",
    '',
    commonOptions,
    '',
    'Exit codes: 0 done; 1 the API refused (its reason code and message are printed); 2 usage error;',
    `3 the API cannot be reached; ${cancelledExitCode} (watch) the onboarding ended cancelled.`,
  ].join('\n');
}

const commandUsage = (command: Command) =>
  `usage: npm run cli -- ${command.usage.replace(/\n {6}/g, '\n                       ')}\n  ${command.summary}${command.json ? "\n  --json: print the API's JSON answer instead of text" : ''}`;

function connect(env: NodeJS.ProcessEnv): ReturnType<typeof supportApi> {
  const baseUrl = env.API_URL || defaultApiUrl;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`API_URL ${JSON.stringify(baseUrl)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`API_URL ${JSON.stringify(baseUrl)} is not an http(s) URL`);
  let token = env.SUPPORT_API_TOKEN;
  if (!token && !env.API_URL) {
    try {
      token = readFileSync(devTokenFile, 'utf8').trim();
    } catch {
      // No local dev token either: said below.
    }
  }
  if (!token) throw new UsageError('SUPPORT_API_TOKEN is not set (it is the support token; `npm run dev` prints it)');
  return supportApi({ baseUrl, token });
}

function isParseArgsError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const err = (text: string) => io.stderr.write(`${text}\n`);
  const [name, ...rest] = argv;
  if (name === 'help' || name === '--help' || name === '-h') {
    const command = rest[0] ? commands[rest[0]] : undefined;
    out(command ? commandUsage(command) : usage());
    return exitCodes.ok;
  }
  const command = name ? commands[name] : undefined;
  if (!name || !command) {
    err(name ? `error: unknown command ${JSON.stringify(name)}\n` : usage());
    if (name) err(usage());
    return exitCodes.usage;
  }
  let api: ReturnType<typeof supportApi> | undefined;
  const ctx: CliContext = {
    api: () => {
      api ??= connect(io.env);
      return api;
    },
    out,
    err,
    progress: io.stderr,
    sleep: (ms) => sleep(ms),
  };
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, ...(command.json ? { json: { type: 'boolean' } } : {}), help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      out(commandUsage(command));
      return exitCodes.ok;
    }
    return (await command.run(ctx, { values, positionals, name })) ?? exitCodes.ok;
  } catch (error) {
    if (error instanceof UsageError && !error.command) {
      err(`error: ${error.message}`);
      return exitCodes.usage;
    }
    if (error instanceof UsageError || isParseArgsError(error)) {
      err(`error: ${error.message}\n${commandUsage(command)}\n(npm run cli -- help lists every command)`);
      return exitCodes.usage;
    }
    if (error instanceof ApiRefusal) {
      err(`${error.code}: ${error.message}`);
      return exitCodes.refused;
    }
    if (error instanceof ApiUnreachable) {
      err(error.message);
      return exitCodes.unreachable;
    }
    throw error;
  }
}
