// Upload types come from the bytes: binary formats by signature, text by what a browser would make of it.
// The client's declared type only chooses between harmless text types.

import { describe, expect, it } from 'vitest';
import { isPassive, sniffContentType } from './sniff.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');
const sniff = (content: Buffer | string, declared?: string, name?: string) =>
  sniffContentType(Buffer.from(content), declared, name);

describe('sniffing an upload', () => {
  it('names binary formats by their signature, whatever the client claims', async () => {
    expect(await sniff(PNG, 'text/html', 'page.html')).toEqual({ contentType: 'image/png', extension: 'png' });
    expect(await sniff(PDF, 'image/png')).toEqual({ contentType: 'application/pdf', extension: 'pdf' });
    expect(await sniff(Buffer.from([0, 159, 146, 150, 1, 2]), 'text/plain')).toEqual({
      contentType: 'application/octet-stream',
      extension: 'bin',
    });
  });

  it('finds the markup a browser would run, however it is dressed up', async () => {
    for (const html of ['<!doctype html><p>x', '\uFEFF  <HTML>', '<script>alert(1)</script>', '<!-- c --><div>x</div>', '<a href=x>y</a>']) {
      expect((await sniff(html, 'text/plain', 'notes.txt')).contentType, html).toBe('text/html; charset=utf-8');
    }
    for (const svg of ['<svg xmlns="http://www.w3.org/2000/svg"/>', '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<!-- x --><svg>']) {
      expect(await sniff(svg, 'image/png'), svg).toEqual({ contentType: 'image/svg+xml', extension: 'svg' });
    }
    expect(await sniff('<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>')).toEqual({
      contentType: 'application/xml',
      extension: 'xml',
    });
  });

  it('keeps plain text plain, taking CSV, TSV or Markdown from the declared type or the name', async () => {
    expect(await sniff('a,b\n1,2\n', 'text/csv')).toEqual({ contentType: 'text/csv; charset=utf-8', extension: 'csv' });
    expect(await sniff('a,b\n1,2\n', 'application/octet-stream', 'rows.CSV')).toEqual({ contentType: 'text/csv; charset=utf-8', extension: 'csv' });
    expect(await sniff('# Title', '', 'readme.md')).toEqual({ contentType: 'text/markdown; charset=utf-8', extension: 'md' });
    expect(await sniff('hello', 'application/javascript', 'x.js')).toEqual({ contentType: 'text/plain; charset=utf-8', extension: 'txt' });
    expect(await sniff('{"a": [1, 2]}', 'text/plain')).toEqual({ contentType: 'application/json', extension: 'json' });
    expect(await sniff('{not json', 'application/json')).toEqual({ contentType: 'text/plain; charset=utf-8', extension: 'txt' });
  });

  it('reads text cut mid-character at the end of the sample as text', async () => {
    const text = Buffer.from('é'.repeat(5000));
    expect((await sniffContentType(text)).contentType).toBe('text/plain; charset=utf-8');
  });
});

describe('which types are shown inline', () => {
  it('shows images, media, PDF and plain text; downloads markup and anything unknown', () => {
    for (const type of ['image/png', 'video/mp4', 'audio/mpeg', 'application/pdf', 'text/plain; charset=utf-8', 'text/csv', 'application/json']) {
      expect(isPassive(type), type).toBe(true);
    }
    for (const type of ['image/svg+xml', 'text/html; charset=utf-8', 'application/xml', 'application/octet-stream', 'application/x-msdownload']) {
      expect(isPassive(type), type).toBe(false);
    }
  });
});
