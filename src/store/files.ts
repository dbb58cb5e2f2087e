// Metadata of uploaded files (the bytes live in a file store): who may read them, their sniffed type and size.
// Per-app usage is a grouped sum over the primary key's app prefix, so it needs no counter to keep in step.

import { Sql } from './database.js';

export type FileVisibility = 'public' | 'private';

export interface FileRecord {
  appId: string;
  key: string;
  visibility: FileVisibility;
  contentType: string;
  size: number;
  /** The client's name for it, for Content-Disposition only. */
  originalName: string;
  createdBy: string | null;
  createdById: string | null;
  createdDate: Date;
}

export interface UsageTotals {
  files: number;
  bytes: number;
}

interface FileRow {
  app_id: string;
  key: string;
  visibility: FileVisibility;
  content_type: string;
  size: string | number;
  original_name: string;
  created_by: string | null;
  created_by_id: string | null;
  created_date: Date | string;
}

const fromRow = (row: FileRow): FileRecord => ({
  appId: row.app_id,
  key: row.key,
  visibility: row.visibility,
  contentType: row.content_type,
  size: Number(row.size),
  originalName: row.original_name,
  createdBy: row.created_by,
  createdById: row.created_by_id,
  createdDate: new Date(row.created_date),
});

export async function insertFile(db: Sql, file: Omit<FileRecord, 'createdDate'>): Promise<FileRecord> {
  const [row] = await db.query<FileRow & Record<string, unknown>>(
    `INSERT INTO homebase.files (app_id, key, visibility, content_type, size, original_name, created_by, created_by_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [file.appId, file.key, file.visibility, file.contentType, file.size, file.originalName, file.createdBy, file.createdById],
  );
  return fromRow(row);
}

export async function findFile(db: Sql, appId: string, key: string): Promise<FileRecord | undefined> {
  const [row] = await db.query<FileRow & Record<string, unknown>>('SELECT * FROM homebase.files WHERE app_id = $1 AND key = $2', [
    appId,
    key,
  ]);
  return row && fromRow(row);
}

export async function fileUsage(db: Sql, appId: string): Promise<Record<FileVisibility, UsageTotals>> {
  const rows = await db.query<{ visibility: FileVisibility; files: string | number; bytes: string | number }>(
    `SELECT visibility, count(*) AS files, COALESCE(sum(size), 0) AS bytes
     FROM homebase.files WHERE app_id = $1 GROUP BY visibility`,
    [appId],
  );
  const usage: Record<FileVisibility, UsageTotals> = { public: { files: 0, bytes: 0 }, private: { files: 0, bytes: 0 } };
  for (const row of rows) usage[row.visibility] = { files: Number(row.files), bytes: Number(row.bytes) };
  return usage;
}
