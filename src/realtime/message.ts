// The `update_model` message the SDK's subscribe() parses: `{room, data}` with `data` a JSON string.
// Oversized records travel slimmed and flagged `_oversize`, as the SDK expects; it then tells the app to fetch them.

import type { ChangeType } from '../store/index.js';

/** Messages above this many characters are slimmed. */
export const OVERSIZE_CHARS = 100 * 1024;
/** Strings longer than this are emptied in a slimmed record (the SDK documents "fields > 10 KB"). */
const MAX_STRING_CHARS = 10 * 1024;
const STUB_FIELDS = ['id', 'created_date', 'updated_date', 'created_by', 'created_by_id'];

export interface UpdateMessage {
  room: string;
  data: string;
}

export interface Change {
  type: ChangeType;
  id: string;
  /** ISO time of the change. */
  timestamp: string;
}

function emptyLongStrings(value: unknown): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING_CHARS ? '' : value;
  if (Array.isArray(value)) return value.map(emptyLongStrings);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, emptyLongStrings(inner)]));
  }
  return value;
}

const encode = (change: Change, record: Record<string, unknown>) =>
  JSON.stringify({ type: change.type, id: change.id, data: record, timestamp: change.timestamp });

export function updateMessage(room: string, change: Change, record: Record<string, unknown>): UpdateMessage {
  let data = encode(change, record);
  if (data.length > OVERSIZE_CHARS) {
    data = encode(change, { ...(emptyLongStrings(record) as Record<string, unknown>), _oversize: true });
    // Still too big (many small fields): the record collapses to a stub the app can fetch by id.
    if (data.length > OVERSIZE_CHARS) {
      data = encode(change, { ...Object.fromEntries(STUB_FIELDS.filter((f) => f in record).map((f) => [f, record[f]])), _oversize: true });
    }
  }
  return { room, data };
}
