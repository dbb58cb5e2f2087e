// Spreadsheets and PDFs are parsed in a worker thread: a large one takes a second or more of CPU, which on the main
// thread would stall every other request. One worker, started on first use and restarted if it dies.

import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker-entry.js';
import type { ParseAnswer, ParseRequest } from './document-worker.js';
import { DocumentError, type Table } from './documents.js';
import type { PdfText } from './pdf-text.js';

const here = fileURLToPath(import.meta.url);
// Beside this file, compiled or not.
const workerFile = pathToFileURL(path.join(path.dirname(here), `document-worker${path.extname(here)}`));

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();

function failAll(error: Error): void {
  for (const job of pending.values()) job.reject(error);
  pending.clear();
}

function started(): Worker {
  if (worker) return worker;
  const thread = new Worker(workerEntry(workerFile));
  thread.on('message', (answer: ParseAnswer) => {
    const job = pending.get(answer.id);
    if (!job) return;
    pending.delete(answer.id);
    if ('result' in answer) job.resolve(answer.result);
    else job.reject(answer.error.document ? new DocumentError(answer.error.message) : new Error(answer.error.message));
    if (pending.size === 0) thread.unref();
  });
  thread.on('error', (error: Error) => failAll(error));
  thread.on('exit', (code) => {
    if (worker === thread) worker = undefined;
    failAll(new Error(`the document parser stopped (exit code ${code})`));
  });
  thread.unref();
  worker = thread;
  return thread;
}

function parse(kind: ParseRequest['kind'], data: Buffer): Promise<unknown> {
  const thread = started();
  const id = ++nextId;
  return new Promise<unknown>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    // A waiting job keeps the process alive; an idle worker does not.
    thread.ref();
    thread.postMessage({ id, kind, data } satisfies ParseRequest);
  });
}

export const readSpreadsheetOffThread = (data: Buffer) => parse('xlsx', data) as Promise<Table>;
export const readPdfOffThread = (data: Buffer) => parse('pdf', data) as Promise<PdfText>;
