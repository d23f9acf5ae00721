import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { supportToken } from './deps.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The CLI as support runs it, in its own process against the API at `apiUrl`: its exit code and what it printed. */
export function runCli(apiUrl: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return startCli(apiUrl, args).exited;
}

/** The CLI started and left running (`audit --follow`): what it printed so far, a signal to send, and its end. */
export function startCli(apiUrl: string, args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, API_URL: apiUrl, SUPPORT_API_TOKEN: supportToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { stdout: () => stdout, stderr: () => stderr, signal: (name: NodeJS.Signals) => child.kill(name), exited };
}
