// The error thrown for any invalid entity definition, carrying the file (or API source) it came from.
// Kept apart from the HTTP errors: a bad definition is an author's mistake, reported at load or push time.

export class EntityDefinitionError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(message);
    this.name = 'EntityDefinitionError';
  }
}

/** Builds the error with the source named first, the way compilers report "file: problem". */
export function definitionError(source: string, problem: string): EntityDefinitionError {
  return new EntityDefinitionError(source, `${source}: ${problem}`);
}
