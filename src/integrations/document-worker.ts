// The worker thread of document-parsing.ts: parses one spreadsheet or PDF per message and answers with the result.

import { parentPort } from 'node:worker_threads';
import { DocumentError, readSpreadsheet } from './documents.js';
import { readPdf } from './pdf-text.js';

export interface ParseRequest {
  id: number;
  kind: 'xlsx' | 'pdf';
  data: Uint8Array;
}

export type ParseAnswer = { id: number; result: unknown } | { id: number; error: { message: string; document: boolean } };

parentPort!.on('message', async ({ id, kind, data }: ParseRequest) => {
  let answer: ParseAnswer;
  try {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    answer = { id, result: kind === 'xlsx' ? await readSpreadsheet(bytes) : await readPdf(bytes) };
  } catch (error) {
    answer = { id, error: { message: (error as Error).message, document: error instanceof DocumentError } };
  }
  parentPort!.postMessage(answer);
});
