// A file's bytes as the file service takes them: in memory (generated images), or spooled to a temporary file
// (uploads), so that a 50 MB upload is never held whole in the server's memory.

import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';

export interface SpooledFile {
  path: string;
  size: number;
}

export type FileBytes = Buffer | SpooledFile;

export function byteCount(bytes: FileBytes): number {
  return Buffer.isBuffer(bytes) ? bytes.length : bytes.size;
}

/** The first `length` bytes (fewer when the file is shorter). */
export async function headOf(bytes: FileBytes, length: number): Promise<Buffer> {
  if (Buffer.isBuffer(bytes)) return bytes.subarray(0, length);
  const handle = await open(bytes.path, 'r');
  try {
    const head = Buffer.alloc(Math.min(length, bytes.size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export function wholeOf(bytes: FileBytes): Promise<Buffer> {
  return Buffer.isBuffer(bytes) ? Promise.resolve(bytes) : readFile(bytes.path);
}

export function streamOf(bytes: FileBytes): Buffer | Readable {
  return Buffer.isBuffer(bytes) ? bytes : createReadStream(bytes.path);
}
