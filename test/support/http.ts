import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the app on a loopback port so tests speak real HTTP to it. */
export async function listen(app: Express, listenPort = 0): Promise<TestServer> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(listenPort, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
