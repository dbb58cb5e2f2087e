// Base44 project folders: reading config, app id and entity files, and watching them for changes.

export { loadProject, readEntities, findConfigDir, ProjectError } from './load.js';
export type { Project, ProjectProblem } from './load.js';
export { watchEntities } from './watch.js';
export { readFunctions, readEnvFiles, watchFunctions } from './functions.js';
export type { ProjectFunction } from './functions.js';
export { importExportedApp, repairEntity } from './import.js';
export type { ImportReport } from './import.js';
