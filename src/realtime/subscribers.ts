// The subscribers of one node by room, and the access-filtered fan-out of each committed change to them.
// Subscribers who see an entity alike (same access context) are judged once per change and sent one encoded message.

import { AccessUser, EntityAccess, maskRecord } from '../access/index.js';
import { Principal, isPrivileged } from '../auth/index.js';
import { matchesFilter } from '../query/index.js';
import type { OutboxEvent } from '../store/index.js';
import type { AppRuntime } from '../tenancy/index.js';
import { UpdateMessage, updateMessage } from './message.js';

/** One connected socket: its app, who it is, and the rooms it joined. */
export interface Subscriber {
  id: string;
  app: AppRuntime;
  principal: Principal;
  /** The subscriber as rules see them (their User record); null when anonymous or the service role. */
  user: AccessUser | null;
  rooms: Set<string>;
  /** Access context per entity's compiled rules (which a reload replaces, dropping the entry). */
  contexts: WeakMap<EntityAccess, string>;
}

export const roomOf = (appId: string, entity: string) => `entities:${appId}:${entity}`;

const EVERYTHING = 'all';
const ANONYMOUS = 'anonymous';
const SELF = 'self:';

/**
 * Subscribers with equal keys see exactly the same of an entity's changes. The User entity has fixed rules
 * (src/auth/user-entity.ts): users see themselves, admins and the service role everyone; anonymous callers no one.
 */
function accessContext(subscriber: Subscriber, entity: string, access: EntityAccess | undefined): string | undefined {
  const { principal, user } = subscriber;
  if (!access) {
    if (isPrivileged(principal)) return EVERYTHING;
    return principal.kind === 'user' ? `${SELF}${principal.userId}` : undefined;
  }
  if (principal.kind === 'service' || !access.hasRules) return EVERYTHING;
  if (!user) return ANONYMOUS;
  let key = subscriber.contexts.get(access);
  if (key === undefined) {
    // Only the attributes the rules read tell users apart; one present as null differs from one absent.
    key = `user:${JSON.stringify(access.userFields.map((field) => (Object.hasOwn(user, field) ? [user[field]] : [])))}`;
    subscriber.contexts.set(access, key);
  }
  return key;
}

/** The record as subscribers of this context may see it, or undefined when they may not see it at all. */
function visibleRecord(
  context: string,
  sample: Subscriber,
  access: EntityAccess | undefined,
  record: Record<string, unknown>,
): Record<string, unknown> | undefined {
  if (context === EVERYTHING) return record;
  if (context.startsWith(SELF)) return record.id === context.slice(SELF.length) ? record : undefined;
  const rows = access!.rowFilter('read', sample.user);
  if (rows === false || (rows !== true && !matchesFilter(rows, record))) return undefined;
  return maskRecord(record, access!.fieldReadFilters(sample.user));
}

export class Subscribers {
  private readonly rooms = new Map<string, Set<Subscriber>>();
  /** User subscribers by `appId:userId`, to follow changes of their own User record. */
  private readonly users = new Map<string, Set<Subscriber>>();

  constructor(
    private readonly send: (subscriberIds: string[], message: UpdateMessage) => void,
    private readonly disconnect: (subscriberIds: string[]) => void,
  ) {}

  /** Whether no subscriber has joined any room. */
  idle(): boolean {
    return this.rooms.size === 0;
  }

  add(subscriber: Subscriber): void {
    const key = this.userKey(subscriber);
    if (key) this.members(this.users, key).add(subscriber);
  }

  remove(subscriber: Subscriber): void {
    for (const room of subscriber.rooms) this.leave(subscriber, room);
    const key = this.userKey(subscriber);
    if (key) this.drop(this.users, key, subscriber);
  }

  join(subscriber: Subscriber, room: string): void {
    subscriber.rooms.add(room);
    this.members(this.rooms, room).add(subscriber);
  }

  leave(subscriber: Subscriber, room: string): void {
    subscriber.rooms.delete(room);
    this.drop(this.rooms, room, subscriber);
  }

  /** Sends each change, in order, to the subscribers of its room who may see it. */
  deliver(events: OutboxEvent[]): void {
    for (const event of events) {
      if (event.entity === 'User') this.followUser(event);
      this.fanOut(event);
    }
  }

  private fanOut(event: OutboxEvent): void {
    const room = roomOf(event.appId, event.entity);
    const members = this.rooms.get(room);
    if (!members) return;
    const { app } = members.values().next().value!;
    let access: EntityAccess | undefined;
    if (event.entity !== 'User') {
      // A reload may have removed the entity since the change: no one can be told about it any more.
      if (!app.entityNames().includes(event.entity)) return;
      access = app.access(event.entity);
    }
    const contexts = new Map<string, Subscriber[]>();
    for (const subscriber of members) {
      const context = accessContext(subscriber, event.entity, access);
      if (context === undefined) continue;
      const group = contexts.get(context);
      if (group) group.push(subscriber);
      else contexts.set(context, [subscriber]);
    }
    const change = { type: event.type, id: event.recordId, timestamp: new Date(event.time).toISOString() };
    for (const [context, group] of contexts) {
      const record = visibleRecord(context, group[0], access, event.data);
      if (record) this.send(group.map((s) => s.id), updateMessage(room, change, record));
    }
  }

  /**
   * A subscriber's own User record changed: rules judge them by the new one from now on. Deleted or disabled
   * users are disconnected, as their token no longer signs them in.
   */
  private followUser(event: OutboxEvent): void {
    const subscribers = this.users.get(`${event.appId}:${event.recordId}`);
    if (!subscribers) return;
    const record = event.data as AccessUser;
    if (event.type === 'delete' || record.disabled === true) {
      this.disconnect([...subscribers].map((s) => s.id));
      return;
    }
    for (const subscriber of subscribers) {
      if (subscriber.principal.kind !== 'user') continue;
      subscriber.principal = { ...subscriber.principal, email: record.email, role: record.role ?? 'user' };
      subscriber.user = record;
      subscriber.contexts = new WeakMap();
    }
  }

  private userKey(subscriber: Subscriber): string | undefined {
    return subscriber.principal.kind === 'user' ? `${subscriber.app.id}:${subscriber.principal.userId}` : undefined;
  }

  private members(index: Map<string, Set<Subscriber>>, key: string): Set<Subscriber> {
    let set = index.get(key);
    if (!set) index.set(key, (set = new Set()));
    return set;
  }

  private drop(index: Map<string, Set<Subscriber>>, key: string, subscriber: Subscriber): void {
    const set = index.get(key);
    if (!set) return;
    set.delete(subscriber);
    if (set.size === 0) index.delete(key);
  }
}
