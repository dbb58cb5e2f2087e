import { describe, expect, it } from 'vitest';
import { HttpError } from '../../errors.js';
import { AppRegistry, AppRuntime } from '../../tenancy/index.js';
import { appOfHost } from './functions.js';

const registry = (...ids: string[]) => {
  const apps = new AppRegistry();
  for (const id of ids) apps.add({ id } as AppRuntime);
  return apps;
};
const A = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbb';

describe('which app functions.fetch reaches (it names none)', () => {
  it('is the only app when one is served, whatever the host', () => {
    expect(appOfHost(registry(A), 'localhost:4400').id).toBe(A);
  });

  it("is the app whose id is the host name's first label when several are served", () => {
    expect(appOfHost(registry(A, B), `${B}.functions.example.com`).id).toBe(B);
    expect(appOfHost(registry(A, B), `${A}.localhost:4400`).id).toBe(A);
  });

  it('is a 404 when the host names no served app', () => {
    for (const host of ['example.com', `${'c'.repeat(24)}.example.com`, undefined]) {
      expect(() => appOfHost(registry(A, B), host)).toThrow(HttpError);
    }
  });
});
