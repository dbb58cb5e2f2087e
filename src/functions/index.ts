// Backend functions on Deno: deployments, warm processes, invocation with Base44's identity headers, secrets, logs.

export { FunctionsService } from './service.js';
export type { FunctionsConfig, FunctionsDeps } from './service.js';
export { DEPLOYMENT_STATES, FUNCTION_NAME, checkFunctionName } from './deployments.js';
export type { DeployResult } from './deployments.js';
export { INVOCATION_HEADER } from './invoker.js';
export type { FunctionRequest, FunctionResponse, InternalCall } from './invoker.js';
export { MASK, deriveSecretsKey, checkSecretName } from './secrets.js';
export { cacheModules, deniedDestinations, denoExecutable } from './deno.js';
