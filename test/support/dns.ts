// A real DNS server on loopback: dnsmasq (Debian's dnsmasq-base), answering for *.test from the TXT
// records a test publishes and NXDOMAIN for every other name there. dnsmasq reads its records once, so
// publishing restarts it on the same port; the service under test keeps asking the same address.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { pollUntil } from './poll.js';
import { killOnExit } from './processes.js';

export interface DnsServer {
  /** `127.0.0.1:port`, for DNS_RESOLVER. */
  address: string;
  /** Serves these TXT records (name → values) from now on, instead of the ones before. */
  publish(records: Record<string, string[]>): Promise<void>;
  close(): Promise<void>;
}

/** A loopback port free for UDP and for TCP at once: dnsmasq listens on both. */
async function freeDnsPort(): Promise<number> {
  for (;;) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const { port } = socket.address();
    const tcp = createServer();
    const free = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => (free ? tcp.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (free) return port;
  }
}

const readyName = 'ready.dns-server.test';
// Debian puts it in /usr/sbin, which is not on every user's PATH.
const dnsmasqPath = existsSync('/usr/sbin/dnsmasq') ? '/usr/sbin/dnsmasq' : 'dnsmasq';

export async function startDnsServer(): Promise<DnsServer> {
  const port = await freeDnsPort();
  const address = `127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = '';

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  }

  async function start(records: Record<string, string[]>): Promise<void> {
    // One string per record; dnsmasq would split a value at its commas (and keep quotes literally).
    const txt = Object.entries({ ...records, [readyName]: ['ready'] }).flatMap(([name, values]) =>
      values.map((value) => {
        if (/[",]/.test(value)) throw new Error(`a test TXT value without commas or quotes, please: ${value}`);
        return `--txt-record=${name},${value}`;
      }),
    );
    // Another process may hold the port for a moment between two starts (dnsmasq exits 2, address in
    // use): each start tries again, on the same port, which the service under test keeps asking.
    for (let attempt = 1; ; attempt++) {
      const exitCode = await launch(txt);
      if (exitCode === undefined) return;
      if (exitCode !== 2 || attempt === 10) throw new Error(`dnsmasq exited with ${exitCode}: ${output}`);
    }
  }

  /** Starts dnsmasq; undefined once it answers, or the exit code if it stopped first. */
  async function launch(txt: string[]): Promise<number | undefined> {
    output = '';
    const started = spawn(
      dnsmasqPath,
      [
        '--keep-in-foreground',
        '--conf-file=/dev/null',
        `--port=${port}`,
        '--listen-address=127.0.0.1',
        '--bind-interfaces',
        '--no-resolv',
        '--no-hosts',
        '--no-poll',
        '--pid-file=',
        '--local=/test/',
        '--log-facility=-',
        ...txt,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    killOnExit(started);
    started.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number>((resolve) => started.once('exit', (code) => resolve(code ?? -1)));
    const resolver = new Resolver({ timeout: 200, tries: 1 });
    resolver.setServers([address]);
    const answering = pollUntil(
      `dnsmasq answering on ${address}`,
      async () => {
        if (started.exitCode !== null) return 'exited';
        return (await resolver.resolveTxt(readyName)).length > 0 ? 'ready' : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 25 },
    );
    const first = await Promise.race([answering, exited.then(() => 'exited' as const)]);
    if (first === 'ready') return undefined;
    child = undefined;
    return await exited;
  }

  await start({});
  return {
    address,
    async publish(records) {
      await stop();
      await start(records);
    },
    close: stop,
  };
}
