import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readEnvFiles, readFunctions } from './functions.js';

describe('finding a project’s backend functions', () => {
  let root: string;
  const put = async (file: string, content = '') => {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), content);
  };

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'homebase-functions-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('names zero-config functions by folder path and ships their files with shared/, relative to the entry', async () => {
    await put('base44/functions/orders/process/entry.ts', 'main');
    await put('base44/functions/orders/process/util.js', 'util');
    await put('base44/functions/orders/process/README.md', 'not code');
    await put('base44/shared/money.ts', 'shared');
    const { functions, problems } = await readFunctions(path.join(root, 'base44/functions'));
    expect(problems).toEqual([]);
    expect(functions).toEqual([
      {
        name: 'orders/process',
        entry: 'entry.ts',
        files: expect.arrayContaining([
          { path: 'entry.ts', content: 'main' },
          { path: 'util.js', content: 'util' },
          { path: '../../../shared/money.ts', content: 'shared' },
        ]),
      },
    ]);
    expect(functions[0].files).toHaveLength(3);
  });

  it('takes name, entry and automations from function.jsonc, and ignores hidden and dotted folders', async () => {
    await put('base44/functions/legacy/function.jsonc', '// comment\n{ "name": "sendMail", "entry": "index.ts", "automations": [], }');
    await put('base44/functions/legacy/index.ts', 'x');
    await put('base44/functions/legacy/entry.ts', 'not a second function');
    await put('base44/functions/.drafts/a/entry.ts');
    await put('base44/functions/v1.2/entry.ts');
    const { functions, problems } = await readFunctions(path.join(root, 'base44/functions'));
    expect(problems).toEqual([]);
    expect(functions.map((f) => [f.name, f.entry, f.automations])).toEqual([['sendMail', 'index.ts', []]]);
  });

  it('reports broken functions by file and keeps the others', async () => {
    await put('base44/functions/entry.ts');
    await put('base44/functions/bad/function.json', '{ "name": "bad", "entry": "missing.ts" }');
    await put('base44/functions/dotted/function.json', '{ "name": "a.b", "entry": "x.ts" }');
    await put('base44/functions/twin/function.json', '{ "name": "good", "entry": "x.ts" }');
    await put('base44/functions/twin/x.ts');
    await put('base44/functions/good/entry.ts');
    const { functions, problems } = await readFunctions(path.join(root, 'base44/functions'));
    expect(functions.map((f) => f.name)).toEqual(['good']);
    expect(problems.map((p) => p.file).sort()).toEqual([
      'functions/bad/function.json',
      'functions/dotted/function.json',
      'functions/entry.ts',
      'functions/good/entry.ts',
    ]);
  });

  it('reads base44/.env, then .env.local over it', async () => {
    await put('base44/.env', 'A=1\nB="two words"\n# comment\n');
    await put('base44/.env.local', 'A=local\n');
    expect(await readEnvFiles(path.join(root, 'base44'))).toEqual({ A: 'local', B: 'two words' });
  });
});
