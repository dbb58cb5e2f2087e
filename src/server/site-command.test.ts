import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startSiteCommand } from './site-command.js';

function collect(stream: PassThrough) {
  let text = '';
  stream.on('data', (chunk) => (text += chunk));
  return {
    text: () => text,
    waitFor: (needle: string) =>
      new Promise<void>((resolve) => {
        const check = () => text.includes(needle) && resolve();
        stream.on('data', check);
        check();
      }),
  };
}

describe('the frontend dev command', () => {
  it('gets the Base44 variables, streams its output with a prefix and stops with its children', async () => {
    const output = new PassThrough();
    const seen = collect(output);
    const command = startSiteCommand({
      command: `node -e "console.log('app=' + process.env.VITE_BASE44_APP_ID, 'url=' + process.env.VITE_BASE44_APP_BASE_URL, 'backend=' + process.env.VITE_BASE44_BACKEND_URL); setInterval(() => {}, 1000)"`,
      cwd: process.cwd(),
      appId: 'a'.repeat(24),
      backendUrl: 'http://127.0.0.1:4400',
      env: process.env,
      output,
    });
    await seen.waitFor('backend=');
    expect(seen.text()).toContain(`[site] app=${'a'.repeat(24)} url=http://127.0.0.1:4400 backend=http://127.0.0.1:4400`);
    await command.stop();
    expect(await command.exited).not.toBe(0);
  });

  it('reports its own exit code when it ends by itself', async () => {
    const output = new PassThrough();
    const command = startSiteCommand({ command: 'exit 3', cwd: process.cwd(), appId: 'a'.repeat(24), backendUrl: 'http://x', env: process.env, output });
    expect(await command.exited).toBe(3);
  });
});
