// Small documents built in code for the extraction tests: a PDF with a real text layer, written by hand
// (one page, Helvetica, text placed at given points), so no fixture binary needs explaining.

export interface PlacedText {
  x: number;
  y: number;
  text: string;
}

const escapePdfText = (text: string) => text.replace(/[\\()]/g, (c) => `\\${c}`);

/** A one-page PDF (US Letter) whose text layer holds `items`, each at its point (origin bottom left). */
export function pdfWithText(items: PlacedText[]): Buffer {
  const content = items.map((i) => `BT /F1 10 Tf ${i.x} ${i.y} Td (${escapePdfText(i.text)}) Tj ET`).join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** A PDF holding a table: one line per row, cells in columns 130 points apart. */
export function pdfWithTable(rows: string[][]): Buffer {
  return pdfWithText(rows.flatMap((cells, r) => cells.map((text, c) => ({ x: 50 + c * 130, y: 740 - r * 18, text }))));
}

/** A PDF of running text, one line per entry. */
export function pdfWithLines(lines: string[]): Buffer {
  return pdfWithText(lines.map((text, i) => ({ x: 50, y: 740 - i * 14, text })));
}
