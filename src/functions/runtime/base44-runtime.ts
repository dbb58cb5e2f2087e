// The `base44:runtime` module functions import (`secrets`, `waitUntil`), mapped here by import-map.json.
// It only delegates to the bridge bootstrap.ts installs, as the module on Base44 delegates to its host.

interface Base44Bridge {
  secrets: { get(name: string): string | undefined };
  waitUntil(promise: Promise<unknown>): void;
}

function bridge(): Base44Bridge {
  const installed = (globalThis as { Base44?: Base44Bridge }).Base44;
  if (!installed) throw new Error('base44:runtime is only available inside a backend function run by Homebase');
  return installed;
}

export const secrets = {
  get(name: string): string | undefined {
    return bridge().secrets.get(name);
  },
};

export function waitUntil<T>(promise: Promise<T>): Promise<T> {
  bridge().waitUntil(promise);
  return promise;
}
