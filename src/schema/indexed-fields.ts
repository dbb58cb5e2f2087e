// Which fields of an entity get their own database index: the ones apps filter on by equality.
// Public Base44 apps mostly filter on foreign keys (`board_id`), enums (`status`) and flags; plus what `indexes` names.

import type { EntityDefinition } from './definition.js';
import { fieldKind } from './field-kind.js';
import { isPlainObject } from './json-values.js';

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Every index slows writes a little; past this many, only the declared ones are kept.
const MAX_AUTOMATIC = 12;

function declaredIndexes(definition: EntityDefinition): string[] {
  const indexes = definition.indexes;
  if (!Array.isArray(indexes)) return [];
  return indexes.flatMap((entry: unknown) => {
    if (typeof entry === 'string') return [entry];
    if (isPlainObject(entry) && Array.isArray(entry.fields)) return entry.fields.filter((f): f is string => typeof f === 'string');
    return [];
  });
}

export function indexedFields(definition: EntityDefinition): string[] {
  const automatic = Object.entries(definition.properties)
    .filter(([name, schema]) => {
      const kind = fieldKind(definition, name);
      if (kind === 'boolean') return true;
      if (kind !== 'string' && kind !== 'number') return false;
      return Array.isArray(schema.enum) || /(^|_)id$/.test(name);
    })
    .map(([name]) => name)
    .slice(0, MAX_AUTOMATIC);
  const declared = declaredIndexes(definition).filter((name) => FIELD_NAME.test(name) && name in definition.properties);
  return [...new Set([...declared, ...automatic])];
}
