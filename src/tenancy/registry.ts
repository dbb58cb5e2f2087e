// The apps this node serves, by id; requests name their app in the URL.

import { badRequest, notFound } from '../errors.js';
import { AppRuntime } from './app-runtime.js';

export class AppRegistry {
  private readonly apps = new Map<string, AppRuntime>();

  add(app: AppRuntime): void {
    this.apps.set(app.id, app);
  }

  get(appId: string): AppRuntime {
    const app = this.apps.get(appId);
    if (!app) throw notFound(`App ${appId.slice(0, 40)} not found`);
    return app;
  }

  /** The one app a single-app server (dev) serves, for browser pages that arrive without an app id. */
  only(): AppRuntime {
    const [app, ...others] = this.apps.values();
    if (!app || others.length > 0) throw badRequest('This server hosts several apps: add app_id to the address');
    return app;
  }

  all(): AppRuntime[] {
    return [...this.apps.values()];
  }
}
