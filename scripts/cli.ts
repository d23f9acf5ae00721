// `npm run cli -- <command> [args]`: the support CLI. `npm run cli -- help` lists the commands and exit codes.
import { runCli } from './cli/main.js';

process.exitCode = await runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr });
