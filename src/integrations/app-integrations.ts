// An app's external integrations as the HTTP layer uses them: custom and installable operations, connector tokens
// and proxied connector calls. Each runs only if the app is subscribed (else `not_subscribed`) and each is traced.

import type { Principal } from '../auth/index.js';
import { gatewayTimeout, notConfigured, notSubscribed, upstreamFailed } from '../errors.js';
import { Database, SecretBox } from '../store/index.js';
import { CallTrace, CallTracer, TraceLogger } from './call-trace.js';
import { ConnectorAnswer, connectionOf, connectorAnswer, connectorFailure, planConnectorCall } from './connectors.js';
import { PlannedRequest, joinUrl, planCustomCall, planInstallableCall } from './custom.js';
import { IntegrationRegistry, OpenIntegration, credentialHeaders, credentialValues } from './integration-registry.js';
import { providerMessage, sanitizeProviderMessage } from './provider-http.js';
import { ExchangeLimits, UpstreamFailure, UpstreamResponse, decodeBody, exchange, isSuccess } from './upstream.js';

export interface AppIntegrationsOptions extends ExchangeLimits {
  /** How long the call trace is kept. */
  traceRetentionDays: number;
}

export interface IntegrationCaller {
  appId: string;
  principal: Principal;
}

export class AppIntegrations {
  readonly registry: IntegrationRegistry;
  readonly trace: CallTracer;

  constructor(
    db: Database,
    box: SecretBox,
    private readonly options: AppIntegrationsOptions,
    logger: TraceLogger,
  ) {
    this.registry = new IntegrationRegistry(db, box);
    this.trace = new CallTracer(db, logger);
  }

  /** `integrations.custom.call(slug, 'method:/path', {payload, pathParams, queryParams})` → `{success, status_code, data}`. */
  callCustom(caller: IntegrationCaller, slug: string, reference: string, body: unknown) {
    const trace = this.newTrace(caller, slug, 'custom', reference, body ?? null);
    return this.trace.traced(caller.appId, trace, async () => {
      const integration = await this.subscribed(caller.appId, slug, trace);
      const planned = planCustomCall(integration, reference, body);
      const response = await this.send(integration, planned);
      const { data, dataBase64 } = decodeBody(response);
      const answer = { success: isSuccess(response.status), status_code: response.status, data: data ?? dataBase64 };
      return { result: answer, outcome: { statusCode: response.status, outcome: answer.success ? 'success' : 'upstream_error', output: answer } };
    });
  }

  /** `integrations.<Pkg>.<operationId>(data)` → the API's answer as it is; an error answer is a 502. */
  callInstallable(caller: IntegrationCaller, slug: string, operationId: string, data: unknown) {
    const trace = this.newTrace(caller, slug, 'installable', operationId, data ?? null);
    return this.trace.traced(caller.appId, trace, async () => {
      const integration = await this.subscribed(caller.appId, slug, trace);
      const { request } = planInstallableCall(integration, operationId, data);
      const response = await this.send(integration, request);
      const decoded = decodeBody(response);
      const answer = decoded.data ?? decoded.dataBase64;
      const outcome = { statusCode: response.status, output: { status_code: response.status, data: answer } };
      if (isSuccess(response.status)) return { result: answer, outcome: { ...outcome, outcome: 'success' } };
      const message = sanitizeProviderMessage(providerMessage(response.body.toString('utf8')), trace.secrets ?? []);
      throw upstreamFailed(`Integration ${slug} answered ${response.status}${message ? `: ${message}` : ''}`);
    });
  }

  /** `asServiceRole.connectors.getConnection(type)` / `getWorkspaceConnection(id)`: the token the operator provisioned. */
  connection(caller: IntegrationCaller, type: string) {
    const trace = this.newTrace(caller, type, 'connector', 'get_connection', { integration_type: type });
    return this.trace.traced(caller.appId, trace, async () => {
      const connection = connectionOf(await this.subscribedConnector(caller.appId, type, trace));
      const output = { integration_type: connection.integration_type, connection_config: connection.connection_config };
      return { result: connection, outcome: { statusCode: null, outcome: 'success', output } };
    });
  }

  /** `asServiceRole.connectors.callApi(type, request)`: upstream outcomes are answered, not thrown. */
  callConnector(caller: IntegrationCaller, type: string, request: unknown) {
    const trace = this.newTrace(caller, type, 'connector', 'call_api', null);
    return this.trace.traced(caller.appId, trace, async () => {
      const integration = await this.subscribedConnector(caller.appId, type, trace);
      const planned = planConnectorCall(integration, request, credentialHeaders(integration.credentials));
      trace.input = planned.traced;
      trace.operation = `call_api ${planned.method} ${String(planned.traced.path).split('?')[0]}`;
      let answer: ConnectorAnswer;
      try {
        answer = connectorAnswer(await exchange(planned, this.options));
      } catch (error) {
        if (!(error instanceof UpstreamFailure)) throw error;
        answer = connectorFailure(error.phase, error.message);
      }
      const outcome = answer.success ? 'success' : answer.phase === 'responded' ? 'upstream_error' : answer.phase;
      return { result: answer, outcome: { statusCode: answer.status_code, outcome, output: answer } };
    });
  }

  prune(): Promise<void> {
    return this.trace.prune(this.options.traceRetentionDays);
  }

  private newTrace(caller: IntegrationCaller, slug: string, kind: CallTrace['kind'], operation: string, input: unknown): CallTrace {
    // Both come from the URL, unchecked yet: bounded so a refused call cannot fill the trace.
    return { slug: slug.slice(0, 200), kind, operation: operation.slice(0, 2048), principal: caller.principal, input, secrets: [] };
  }

  private async subscribed(appId: string, slug: string, trace: CallTrace): Promise<OpenIntegration> {
    const integration = await this.registry.open(appId, slug);
    if (!integration) throw notSubscribed(`This app is not subscribed to the integration ${slug.slice(0, 100)}`);
    trace.secrets = credentialValues(integration.credentials);
    return integration;
  }

  private async subscribedConnector(appId: string, type: string, trace: CallTrace): Promise<OpenIntegration> {
    const integration = await this.registry.open(appId, type);
    if (integration?.kind !== 'connector') throw notSubscribed(`This app is not subscribed to the connector ${type.slice(0, 100)}`);
    trace.secrets = credentialValues(integration.credentials);
    return integration;
  }

  /** Sends a planned request with the integration's credentials; no answer in time is a 504, no answer at all a 502. */
  private async send(integration: OpenIntegration, planned: PlannedRequest): Promise<UpstreamResponse> {
    if (!integration.baseUrl) throw notConfigured(`Integration ${integration.slug} has no base_url to send its operations to`);
    try {
      return await exchange(
        {
          method: planned.method,
          url: joinUrl(integration.baseUrl, planned.pathAndQuery),
          headers: credentialHeaders(integration.credentials),
          body: planned.body,
        },
        this.options,
      );
    } catch (error) {
      if (!(error instanceof UpstreamFailure)) throw error;
      if (error.phase === 'timed_out') throw gatewayTimeout(`Integration ${integration.slug}: ${error.message}`);
      throw upstreamFailed(`Integration ${integration.slug}: ${error.message}`);
    }
  }
}
