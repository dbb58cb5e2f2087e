import { describe, expect, it } from 'vitest';
import { normaliseEntityDefinition } from './index.js';
import { indexedFields } from './indexed-fields.js';

const define = (raw: Record<string, unknown>) => normaliseEntityDefinition({ name: 'Task', ...raw }, 'task.jsonc');

describe('fields that get their own index', () => {
  it('are foreign keys, enums and flags', () => {
    const definition = define({
      properties: {
        title: { type: 'string' },
        board_id: { type: 'string' },
        status: { type: 'string', enum: ['todo', 'done'] },
        archived: { type: 'boolean' },
        labels: { type: 'array', items: { type: 'string' } },
        notes: { type: 'object' },
        rank: { type: 'number' },
      },
    });
    expect(indexedFields(definition)).toEqual(['board_id', 'status', 'archived']);
  });

  it('include the fields an entity declares in `indexes`, first', () => {
    const definition = define({
      properties: { rank: { type: 'number' }, status: { type: 'string', enum: ['a'] } },
      indexes: ['rank', { fields: ['status'] }, 'unknown_field', "x'; drop"],
    });
    expect(indexedFields(definition)).toEqual(['rank', 'status']);
  });
});
