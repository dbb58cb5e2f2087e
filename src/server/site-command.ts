// Runs the project's frontend dev server (`site.serveCommand`, e.g. `npm run dev`) beside Homebase, as `base44 dev`
// does: with the Base44 variables the templates read, output streamed with a prefix, and stopped with the backend.

import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SiteCommand {
  /** Resolves with the exit code when the command ends on its own or is stopped. */
  exited: Promise<number>;
  stop(): Promise<void>;
}

export interface SiteCommandOptions {
  command: string;
  cwd: string;
  appId: string;
  /** This Homebase server's URL, which the frontend's Base44 client talks to. */
  backendUrl: string;
  env: NodeJS.ProcessEnv;
  output: NodeJS.WritableStream;
}

/** The variables Base44 templates read (VITE_BASE44_*) pointed at this server. */
export function siteEnvironment(appId: string, backendUrl: string): Record<string, string> {
  return {
    VITE_BASE44_APP_ID: appId,
    VITE_BASE44_APP_BASE_URL: backendUrl,
    VITE_BASE44_BACKEND_URL: backendUrl,
  };
}

function pipeLines(stream: NodeJS.ReadableStream | null, output: NodeJS.WritableStream): void {
  if (!stream) return;
  createInterface({ input: stream }).on('line', (line) => output.write(`[site] ${line}\n`));
}

export function startSiteCommand(options: SiteCommandOptions): SiteCommand {
  // Its own process group, so stopping it also stops what the shell started (npm, then vite).
  const child: ChildProcess = spawn(options.command, {
    cwd: options.cwd,
    shell: true,
    detached: true,
    env: { ...options.env, ...siteEnvironment(options.appId, options.backendUrl) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pipeLines(child.stdout, options.output);
  pipeLines(child.stderr, options.output);
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.once('error', (error) => {
      options.output.write(`[site] could not start "${options.command}": ${error.message}\n`);
      resolve(127);
    });
  });
  return {
    exited,
    async stop() {
      if (child.exitCode !== null || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
