// Realtime: the SDK's subscribe() over socket.io, fed by the outbox and filtered by each subscriber's access rules.
// Every node follows the outbox itself (LISTEN/NOTIFY on PostgreSQL), so a change made on any node reaches all.

import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import type { Database } from '../store/index.js';
import type { AppRegistry } from '../tenancy/index.js';
import { OutboxListener } from './outbox-listener.js';
import { SocketAuth, attachSocketServer } from './socket-server.js';

export { SOCKET_PATH } from './socket-server.js';
export type { SocketAuth } from './socket-server.js';

export interface RealtimeOptions extends SocketAuth {
  httpServer: HttpServer;
  db: Database;
  apps: AppRegistry;
  logger: Logger;
  /** How often the outbox is read without a notification, in case one was lost (ms). */
  pollMs?: number;
}

export interface Realtime {
  /** Disconnects every subscriber and stops following the outbox; call it before closing the HTTP server and database. */
  close(): Promise<void>;
}

export async function startRealtime(options: RealtimeOptions): Promise<Realtime> {
  const { httpServer, db, apps, logger } = options;
  const listener: OutboxListener = new OutboxListener(
    db,
    (events) => sockets.subscribers.deliver(events),
    logger,
    options.pollMs ?? 2_000,
    () => !sockets.subscribers.idle(),
  );
  const sockets = attachSocketServer(httpServer, apps, options, listener, logger);
  try {
    await listener.start();
  } catch (error) {
    sockets.close();
    throw error;
  }
  return {
    close: async () => {
      await listener.close();
      sockets.close();
    },
  };
}
