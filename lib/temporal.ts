import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Config } from './config.js';

export interface TemporalClient {
  connection: Connection;
  client: Client;
  close(): Promise<void>;
}

/**
 * The TLS option of every Temporal connection, the client's (`Connection`) and the worker's
 * (`NativeConnection`): mutual TLS when a client certificate is named, server-verified TLS when only
 * TEMPORAL_TLS is set, plain otherwise.
 */
export async function temporalTls(config: Config['temporal']) {
  if (!config.tls) return false;
  if (!config.tlsCertPath || !config.tlsKeyPath) return true;
  return { clientCertPair: { crt: await readFile(config.tlsCertPath), key: await readFile(config.tlsKeyPath) } };
}

async function connectionOptions(config: Config['temporal']) {
  return { address: config.address, tls: await temporalTls(config), apiKey: config.apiKey, connectTimeout: 10_000 };
}

/** The one way the API, worker and scripts reach Temporal. */
export async function connectTemporal(config: Config['temporal']): Promise<TemporalClient> {
  const connection = await Connection.connect(await connectionOptions(config));
  const client = new Client({ connection, namespace: config.namespace });
  return { connection, client, close: () => connection.close() };
}

/**
 * Lazy connection for the API: it starts (and logins keep working) while Temporal is down, and
 * connects on first use.
 */
export function lazyTemporal(config: Config['temporal']) {
  let pending: Promise<TemporalClient> | undefined;
  return {
    get(): Promise<TemporalClient> {
      if (!pending) {
        pending = connectTemporal(config).catch((error: unknown) => {
          pending = undefined;
          throw error;
        });
      }
      return pending;
    },
    async close() {
      if (pending) await (await pending.catch(() => undefined))?.close();
    },
  };
}

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

/** Custom search attributes by name, as the workflows set them (contract/onboarding.ts `searchAttributeTypes`). */
export type SearchAttributeTypes = Readonly<Record<string, 'keyword' | 'text'>>;

/** Registers the custom search attributes the workflows set, when the namespace lacks them. */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  attributes: SearchAttributeTypes,
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.entries(attributes).filter(([name]) => !(name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map(([name, type]) => [
        name,
        type === 'keyword' ? IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD : IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
      ]),
    ),
  });
  return missing.map(([name]) => name);
}

export async function pingTemporal(connection: Connection): Promise<void> {
  await connection.workflowService.getSystemInfo({});
}
