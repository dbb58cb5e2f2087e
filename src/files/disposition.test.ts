// Content-Disposition carries a client's file name into a response header: nothing in it may break out.

import { describe, expect, it } from 'vitest';
import { contentDisposition, displayName } from './disposition.js';

describe('Content-Disposition', () => {
  it('is inline for what browsers show safely and an attachment for the rest', () => {
    expect(contentDisposition('cat.png', 'image/png')).toBe(`inline; filename="cat.png"; filename*=UTF-8''cat.png`);
    expect(contentDisposition('page.html', 'text/html; charset=utf-8')).toMatch(/^attachment; /);
  });

  it('drops quotes, backslashes and control characters, and encodes the rest per RFC 5987', () => {
    expect(contentDisposition('a"b\\c\r\nd\u0000e.pdf', 'application/pdf')).toBe(`inline; filename="abcde.pdf"; filename*=UTF-8''abcde.pdf`);
    expect(contentDisposition("Zürich 100% (v2)'s.pdf", 'application/pdf')).toBe(
      `inline; filename="Z_rich 100_ (v2)'s.pdf"; filename*=UTF-8''Z%C3%BCrich%20100%25%20%28v2%29%27s.pdf`,
    );
    expect(contentDisposition('""', 'image/png')).toBe(`inline; filename="file"; filename*=UTF-8''file`);
  });
});

describe('the name kept for a file', () => {
  it('is the last path segment, without what browsers escape in multipart names', () => {
    expect(displayName('../../etc/passwd', 'png')).toBe('passwd');
    expect(displayName('C:\\Users\\ada\\cv.pdf', 'pdf')).toBe('cv.pdf');
    expect(displayName('a%22b%0D%0Ac.txt', 'txt')).toBe('abc.txt');
    expect(displayName('..', 'png')).toBe('file.png');
    expect(displayName(undefined, 'png')).toBe('file.png');
    expect(displayName('x'.repeat(300), 'txt')).toHaveLength(255);
  });
});
