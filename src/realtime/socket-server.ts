// socket.io on the HTTP server's port, as the SDK connects: path /ws-user-apps/socket.io/, websocket only,
// handshake query app_id + token ("null" when signed out), then join/leave of `entities:<appId>:<Entity>` rooms.

import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { Server, Socket } from 'socket.io';
import type { AccessUser } from '../access/index.js';
import type { Principal } from '../auth/index.js';
import { HttpError } from '../errors.js';
import type { AppRegistry, AppRuntime } from '../tenancy/index.js';
import { Subscriber, Subscribers, roomOf } from './subscribers.js';

export const SOCKET_PATH = '/ws-user-apps/socket.io/';

/** What this module uses of an engine.io connection (socket.io's transport layer). */
interface EngineConnection {
  request: IncomingMessage;
  on(event: 'flush' | 'drain', listener: () => void): void;
}
// Apps subscribe to a handful of entities; the cap keeps one socket from holding unbounded state.
const MAX_ROOMS_PER_SOCKET = 200;
const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;
const ROOM = /^entities:([a-f0-9]{24}):([A-Za-z_][A-Za-z0-9_]{0,63})$/;

export interface SocketAuth {
  /** The principal of a handshake token in `app`; throws an HttpError (401) when it signs no one in. */
  authenticate(app: AppRuntime, token: string): Promise<Principal>;
  /** The subscriber as access rules see them (their User record); null when anonymous. */
  accessUser(app: AppRuntime, principal: Principal): Promise<AccessUser | null>;
}

function queryValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  // engine.io stringifies a missing token as "null" (or "undefined").
  return text === undefined || text === '' || text === 'null' || text === 'undefined' ? undefined : text;
}

/** The outbox listener as the socket server drives it. */
export interface ChangeFeed {
  /** Resolves once every change committed so far was handed over. */
  catchUp(): Promise<void>;
  wake(): void;
}

/**
 * Attaches socket.io to `httpServer`. A handshake with an unknown app or a token that signs no one in is refused
 * with the HTTP error's message and code (`connect_error` on the client), as HTTP would answer 401: silently
 * connecting a broken login as anonymous would hide it. No token is an anonymous subscriber.
 */
export function attachSocketServer(httpServer: HttpServer, apps: AppRegistry, auth: SocketAuth, feed: ChangeFeed, logger: Logger) {
  const io = new Server(httpServer, {
    path: SOCKET_PATH,
    transports: ['websocket'],
    serveClient: false,
    cors: { origin: true },
    // Clients only send join and leave; a bigger frame is abuse, and engine.io closes that connection.
    maxHttpBufferSize: MAX_CLIENT_MESSAGE_BYTES,
  });
  // Packets that queued while a socket's previous write was in flight go out in one write rather than one system
  // call each: engine.io hands them to the transport together, between its `flush` and `drain` events. Under load,
  // socket writes are most of the server's time.
  io.engine.on('connection', (connection: EngineConnection) => {
    const tcp = connection.request.socket;
    connection.on('flush', () => tcp.cork());
    connection.on('drain', () => tcp.uncork());
  });
  const subscribers = new Subscribers(
    (ids, message) => io.to(ids).emit('update_model', message),
    (ids) => io.in(ids).disconnectSockets(true),
  );

  io.use((socket, next) => {
    handshake(socket, apps, auth).then(
      (subscriber) => {
        socket.data.subscriber = subscriber;
        next();
      },
      (error: unknown) => {
        const known = error instanceof HttpError;
        if (!known) logger.error({ err: { message: (error as Error).message } }, 'realtime handshake failed');
        const refusal = new Error(known ? error.message : 'Internal error') as Error & { data: unknown };
        refusal.data = { code: known ? error.code : 'internal' };
        next(refusal);
      },
    );
  });

  /**
   * While no one subscribes, the listener reads only now and then; the first join waits until it has caught up, so
   * it is sent no change committed before it, and then wakes it for changes committed meanwhile.
   */
  async function join(socket: Socket, subscriber: Subscriber, room: string): Promise<void> {
    if (!subscribers.idle()) {
      subscribers.join(subscriber, room);
      return;
    }
    await feed.catchUp();
    if (!socket.connected) return;
    subscribers.join(subscriber, room);
    feed.wake();
  }

  io.on('connection', (socket) => {
    const subscriber = socket.data.subscriber as Subscriber;
    subscribers.add(subscriber);
    // One socket's joins and leaves take effect in the order sent, even when a join waits for the listener.
    let requests = Promise.resolve();
    const inOrder = (request: () => void | Promise<void>) => {
      requests = requests
        .then(async () => {
          if (socket.connected) await request();
        })
        .catch((error: Error) => logger.error({ err: { message: error.message } }, 'realtime join or leave failed'));
    };
    // Rooms of another app, unknown entities and anything malformed are ignored: the client simply gets nothing.
    socket.on('join', (room: unknown) => {
      const entity = entityOf(subscriber.app, room);
      if (entity && subscriber.rooms.size < MAX_ROOMS_PER_SOCKET) inOrder(() => join(socket, subscriber, roomOf(subscriber.app.id, entity)));
    });
    socket.on('leave', (room: unknown) => {
      if (typeof room === 'string') inOrder(() => subscribers.leave(subscriber, room));
    });
    socket.on('disconnect', () => subscribers.remove(subscriber));
  });

  return {
    subscribers,
    /** Disconnects every socket; the HTTP server itself is left to its owner. */
    close(): void {
      io.disconnectSockets(true);
      io.engine.close();
    },
  };
}

async function handshake(socket: Socket, apps: AppRegistry, auth: SocketAuth): Promise<Subscriber> {
  const query = socket.handshake.query;
  const appId = queryValue(query.app_id);
  if (!appId) throw new HttpError(400, 'bad_request', 'Missing app_id');
  const app = apps.get(appId);
  const token = queryValue(query.token);
  const principal: Principal = token ? await auth.authenticate(app, token) : { kind: 'anonymous' };
  const user = principal.kind === 'user' ? await auth.accessUser(app, principal) : null;
  return { id: socket.id, app, principal, user, rooms: new Set(), contexts: new WeakMap() };
}

function entityOf(app: AppRuntime, room: unknown): string | undefined {
  if (typeof room !== 'string') return undefined;
  const match = ROOM.exec(room);
  if (!match || match[1] !== app.id || !app.entityNames().includes(match[2])) return undefined;
  return match[2];
}
