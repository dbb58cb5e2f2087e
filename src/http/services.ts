// The long-lived services the HTTP layer hands to its routes; built once by the server at start.

import type { TokenService, UserService } from '../auth/index.js';
import type { EntityRepository } from '../store/index.js';
import type { AppRegistry } from '../tenancy/index.js';

export interface Services {
  apps: AppRegistry;
  tokens: TokenService;
  records: EntityRepository;
  users: UserService;
}
