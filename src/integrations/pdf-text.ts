// The text layer of a PDF (unpdf, a serverless build of Mozilla's pdf.js) as positioned lines of cells,
// and the table in it whose header row names the fields an app asked for. Scanned pages have no text layer.

import { getDocumentProxy } from 'unpdf';
import { DocumentError, MAX_TABLE_ROWS, type Table } from './documents.js';

export interface PdfCell {
  x: number;
  end: number;
  text: string;
}

export interface PdfText {
  /** Lines top to bottom, page after page; each line's cells left to right. */
  lines: PdfCell[][];
  text: string;
}

const MAX_PAGES = 200;
// Text runs on one baseline within this many points form a line.
const LINE_TOLERANCE = 2;
// A gap wider than this many font sizes separates cells; narrower gaps are spaces between words.
const CELL_GAP_EMS = 0.8;

interface TextRun {
  str: string;
  transform: number[];
  width: number;
}

function linesOf(runs: TextRun[]): PdfCell[][] {
  const visible = runs.filter((r) => r.str.trim() !== '').sort((a, b) => b.transform[5] - a.transform[5] || a.transform[4] - b.transform[4]);
  const lines: TextRun[][] = [];
  for (const run of visible) {
    const line = lines.at(-1);
    if (line && Math.abs(line[0].transform[5] - run.transform[5]) <= LINE_TOLERANCE) line.push(run);
    else lines.push([run]);
  }
  return lines.map((line) => {
    const cells: PdfCell[] = [];
    for (const run of line.sort((a, b) => a.transform[4] - b.transform[4])) {
      const x = run.transform[4];
      const fontSize = Math.hypot(run.transform[2], run.transform[3]) || 10;
      const last = cells.at(-1);
      if (last && x - last.end < fontSize * CELL_GAP_EMS) {
        last.text += x - last.end > fontSize * 0.1 ? ` ${run.str.trim()}` : run.str.trim();
        last.end = Math.max(last.end, x + run.width);
      } else {
        cells.push({ x, end: x + run.width, text: run.str.trim() });
      }
    }
    return cells;
  });
}

export async function readPdf(data: Buffer): Promise<PdfText> {
  const lines: PdfCell[][] = [];
  try {
    // pdf.js takes ownership of the array it is given; a copy keeps the caller's buffer intact.
    // Verbosity 0: malformed files would otherwise print pdf.js warnings to the server's stdout.
    const pdf = await getDocumentProxy(new Uint8Array(data), { verbosity: 0 });
    try {
      for (let number = 1; number <= Math.min(pdf.numPages, MAX_PAGES); number++) {
        const content = await (await pdf.getPage(number)).getTextContent();
        lines.push(...linesOf(content.items.filter((item): item is TextRun & typeof item => 'str' in item)));
      }
    } finally {
      await pdf.loadingTask.destroy();
    }
  } catch (error) {
    throw new DocumentError(`The PDF could not be read: ${(error as Error).message}`);
  }
  return { lines, text: lines.map((cells) => cells.map((c) => c.text).join('  ')).join('\n') };
}

/**
 * The first table whose header line names at least two of the wanted fields (or all of them, when fewer are
 * wanted); later lines of two or more cells are its rows, each cell placed in the column it sits under.
 */
export function findTable(lines: PdfCell[][], isField: (name: string) => boolean, fieldCount: number): Table | undefined {
  const needed = Math.min(2, fieldCount);
  const start = lines.findIndex((cells) => cells.length >= 2 && cells.filter((c) => isField(c.text)).length >= needed);
  if (needed === 0 || start < 0) return undefined;
  const header = lines[start];
  const columns = header.map((c) => c.text);
  // A cell belongs to the column whose span, extended halfway to its neighbours, holds the cell's middle.
  const bounds = header.slice(1).map((cell, i) => (header[i].end + cell.x) / 2);
  const headerText = columns.join('\u0000');
  const rows: Record<string, unknown>[] = [];
  for (const cells of lines.slice(start + 1)) {
    // Repeated headers on later pages, and lines of one cell (titles, totals, page numbers), are not rows.
    if (cells.length < 2 || cells.map((c) => c.text).join('\u0000') === headerText) continue;
    const row = new Map<string, string>();
    for (const cell of cells) {
      const middle = (cell.x + cell.end) / 2;
      const column = columns[bounds.filter((bound) => middle > bound).length];
      const before = row.get(column);
      row.set(column, before ? `${before} ${cell.text}` : cell.text);
    }
    rows.push(Object.fromEntries(row));
    if (rows.length > MAX_TABLE_ROWS) throw new DocumentError(`The file holds more than ${MAX_TABLE_ROWS} rows`);
  }
  return rows.length > 0 ? { columns, rows } : undefined;
}
