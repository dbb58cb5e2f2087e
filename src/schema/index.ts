// Public surface of the schema module: entity definitions (parse, normalise, inspect) and record validators.
// Pure computation only; loading files and storing records belong to other modules.

export {
  BUILTIN_FIELDS,
  USER_BASE_FIELDS,
  isUserEntity,
  normaliseEntityDefinition,
  parseEntityDefinition,
  type EntityDefinition,
  type PropertySchema,
} from './definition.js';
export { EntityDefinitionError } from './definition-error.js';
export { fieldKind, type FieldKind } from './field-kind.js';
export { compileValidator, type RecordValidator } from './validator.js';
export { MAX_IMPORT_RECORDS, parseCsvRecords, parseImportFile } from './import-file.js';
export { indexedFields } from './indexed-fields.js';
