// Rows of a table become what the app's schema describes: which array the rows go in, and cells typed as its fields.

import { describe, expect, it } from 'vitest';
import { chooseTarget, mapRows, nameKey, rowTargets } from './table-mapping.js';

const row = { type: 'object', properties: { name: { type: 'string' }, amount: { type: 'number' }, paid: { type: 'boolean' }, tags: { type: 'array', items: { type: 'string' } } } };

describe('choosing where the rows go', () => {
  it('puts rows in the array property whose fields the columns name, and keeps a flat schema as one row', () => {
    const schema = { type: 'object', properties: { date: { type: 'string' }, lines: { type: 'array', items: row }, notes: { type: 'array', items: { type: 'string' } } } };
    const targets = rowTargets(schema);
    expect(targets.map((t) => t.property)).toEqual(['lines', undefined]);
    expect(chooseTarget(targets, ['Name', 'Amount'])?.property).toBe('lines');
    expect(chooseTarget(targets, ['Date'])?.property).toBeUndefined();
    expect(chooseTarget(targets, ['Something else'])).toBeUndefined();
  });

  it('takes the items of an array schema, and any columns when the rows declare no fields', () => {
    expect(rowTargets({ type: 'array', items: row })[0].fields).toEqual(['name', 'amount', 'paid', 'tags']);
    expect(chooseTarget(rowTargets({ type: 'array', items: { type: 'object' } }), ['anything'])).toBeDefined();
  });

  it('matches names without case, accents, spaces or punctuation', () => {
    expect(nameKey('Unit price')).toBe(nameKey('unit_price'));
    expect(nameKey('Café-Name')).toBe(nameKey('cafename'));
  });
});

describe('typing cells', () => {
  const target = rowTargets(row)[0];
  const map = (cells: Record<string, unknown>) => mapRows([cells], target, Object.keys(cells))[0];

  it('reads numbers as spreadsheets write them', () => {
    for (const [text, number] of [['1,234.50', 1234.5], ['1.234,50', 1234.5], ['12,5', 12.5], ['€3.20', 3.2], ['-7', -7], ['1e3', 1000]] as const) {
      expect(map({ Amount: text })).toEqual({ amount: number });
    }
    expect(map({ Amount: 'three' })).toEqual({ amount: 'three' });
  });

  it('reads yes/no words as booleans, numbers as text for text fields, and lists split on commas', () => {
    expect(map({ Name: 42, Paid: 'Yes', Tags: 'red, blue' })).toEqual({ name: '42', paid: true, tags: ['red', 'blue'] });
  });

  it('leaves empty cells and unknown columns out', () => {
    expect(map({ Name: '  ', Amount: '', Extra: 'x' })).toEqual({});
  });
});
