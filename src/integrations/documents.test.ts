// Files are told apart by their bytes before their names, and readers refuse what would cost too much to open.

import { describe, expect, it } from 'vitest';
import { decodeText, DocumentError, readCsv, readSpreadsheet, sniffKind } from './documents.js';

/** A zip holding only a central directory entry that declares `unpacked` bytes for `name`. */
function zipDeclaring(name: string, unpacked: number): Buffer {
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  const entry = Buffer.alloc(46);
  entry.writeUInt32LE(0x02014b50, 0);
  entry.writeUInt32LE(unpacked, 24);
  entry.writeUInt16LE(Buffer.byteLength(name), 28);
  const central = Buffer.concat([entry, Buffer.from(name)]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(local.length, 16);
  return Buffer.concat([local, central, end]);
}

const file = (data: Buffer | string, fileName: string, contentType = 'application/octet-stream') => ({
  data: Buffer.from(data),
  fileName,
  contentType,
});

describe('what a file is', () => {
  it('is read from the bytes first: a PDF or an image named .csv is still a PDF or an image', () => {
    expect(sniffKind(file('%PDF-1.4 …', 'data.csv', 'text/csv'))).toBe('pdf');
    expect(sniffKind(file(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'data.csv'))).toBe('image');
    expect(sniffKind(file(zipDeclaring('xl/workbook.xml', 10), 'upload.bin'))).toBe('xlsx');
    expect(sniffKind(file(zipDeclaring('word/document.xml', 10), 'report.xlsx'))).toBeUndefined();
  });

  it('is then told by name or declared type, and binary content is never text', () => {
    expect(sniffKind(file('a,b\n1,2', 'rows.csv'))).toBe('csv');
    expect(sniffKind(file('[1]', 'blob', 'application/json'))).toBe('json');
    expect(sniffKind(file('notes', 'notes.md'))).toBe('text');
    expect(sniffKind(file(Buffer.from([0x61, 0x00, 0x62]), 'rows.csv'))).toBeUndefined();
    expect(sniffKind(file('x', 'a.docx'))).toBeUndefined();
  });
});

describe('reading', () => {
  it('takes Windows-1252 text when a file is not UTF-8', () => {
    expect(decodeText(Buffer.from([0x43, 0x61, 0x66, 0xe9]))).toBe('Café');
    expect(decodeText(Buffer.from('\uFEFFCafé'))).toBe('Café');
  });

  it('finds the CSV delimiter in the header line', () => {
    expect(readCsv(Buffer.from('name;price\n"Tea; green";1,5\n'))).toEqual({ columns: ['name', 'price'], rows: [{ name: 'Tea; green', price: '1,5' }] });
    expect(readCsv(Buffer.from('name\tprice\nTea\t2\n')).rows).toEqual([{ name: 'Tea', price: '2' }]);
  });

  it('refuses a workbook that declares more than 100 MB unpacked, before unpacking it', async () => {
    await expect(readSpreadsheet(zipDeclaring('xl/workbook.xml', 0xffffffff))).rejects.toThrow(DocumentError);
    await expect(readSpreadsheet(zipDeclaring('xl/workbook.xml', 0xffffffff))).rejects.toThrow(/100 MB/);
  });
});
