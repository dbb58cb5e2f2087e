// The automations each app's live deployments declare, parsed once per deployment. Names come from function.jsonc:
// unique within a function; the same name in two functions is two automations, told apart by the function's name.

import type { Deployment } from '../store/index.js';
import { Automation, AutomationProblem, parseAutomations } from './definition.js';

export interface DeployedAutomation {
  functionName: string;
  automation: Automation;
  /** When its deployment was made: schedules count from it. */
  deployedAt: Date;
}

export interface BrokenAutomation extends AutomationProblem {
  functionName: string;
}

export interface AppAutomations {
  automations: DeployedAutomation[];
  problems: BrokenAutomation[];
}

/** Where live deployments come from (the functions' DeploymentService, which caches them per app). */
export interface LiveDeployments {
  liveByName(appId: string): Promise<Map<string, Deployment>>;
}

export class AutomationCatalog {
  /** Per app, by deployment id (deployments never change), the automations of its live deployments. */
  private readonly parsed = new Map<string, Map<string, { automations: Automation[]; problems: AutomationProblem[] }>>();
  private readonly latest = new Map<string, AppAutomations & { source: Map<string, Deployment> }>();

  constructor(
    private readonly deployments: LiveDeployments,
    private readonly minIntervalSeconds: number,
    /** Told once per deployment about each automation of it that cannot run. */
    private readonly onProblem: (problem: BrokenAutomation) => void,
  ) {}

  async forApp(appId: string): Promise<AppAutomations> {
    const live = await this.deployments.liveByName(appId);
    const latest = this.latest.get(appId);
    if (latest?.source === live) return latest;
    const result = { automations: [] as DeployedAutomation[], problems: [] as BrokenAutomation[], source: live };
    const before = this.parsed.get(appId);
    const now = new Map<string, { automations: Automation[]; problems: AutomationProblem[] }>();
    for (const deployment of live.values()) {
      let parsed = before?.get(deployment.id);
      if (!parsed) {
        parsed = parseAutomations(deployment.automations, this.minIntervalSeconds);
        for (const problem of parsed.problems) this.onProblem({ ...problem, functionName: deployment.name });
      }
      now.set(deployment.id, parsed);
      const deployedAt = new Date(deployment.createdDate);
      for (const automation of parsed.automations) result.automations.push({ functionName: deployment.name, automation, deployedAt });
      for (const problem of parsed.problems) result.problems.push({ ...problem, functionName: deployment.name });
    }
    this.parsed.set(appId, now);
    this.latest.set(appId, result);
    return result;
  }

  /** What forApp last found, without waiting (inside a transaction, where PGlite allows no other query). */
  loaded(appId: string): AppAutomations | undefined {
    return this.latest.get(appId);
  }
}
