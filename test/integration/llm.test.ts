// InvokeLLM, GenerateImage and ExtractDataFromUploadedFile through the real SDK, against a local
// OpenAI-compatible server that records what Homebase sends: models, structured output, repairs, files, errors.

import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdfWithLines, pdfWithTable } from '../support/documents.js';
import { startOpenAiServer, TINY_PNG, type OpenAiTestServer } from '../support/openai.js';
import { expectCoded, failure, type Rec } from '../support/sdk.js';
import { databases, REPO_ROOT, startTestServer, type TestServer } from '../support/server.js';

const AI_APP = path.join(REPO_ROOT, 'test/fixtures/ai-app');
const PROVIDER_KEY = 'sk-homebase-test-0123456789abcdef';

type Client = ReturnType<TestServer['client']>;

const ORDER_SCHEMA = {
  type: 'object',
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: { product: { type: 'string' }, quantity: { type: 'number' }, unit_price: { type: 'number' }, gift: { type: 'boolean' } },
        required: ['product', 'quantity'],
      },
    },
  },
};

const ORDER_ROWS = [
  { product: 'Green tea', quantity: 3, unit_price: 4.5, gift: false },
  { product: 'Coffee, beans', quantity: 1, unit_price: 12, gift: true },
];

async function xlsxOf(rows: unknown[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.addWorksheet('Orders').addRows(rows);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

describe.each(databases())('AI integrations on %s', (kind) => {
  let server: TestServer;
  let provider: OpenAiTestServer;
  let app: Client;

  const upload = async (data: Buffer | string, name: string, type: string) => {
    const file = new File([typeof data === 'string' ? data : new Uint8Array(data)], name, { type });
    return ((await app.integrations.Core.UploadFile({ file })) as { file_url: string }).file_url;
  };
  const userMessage = () => (provider.last().body.messages as Rec[]).find((m) => m.role === 'user')!;

  beforeAll(async () => {
    provider = await startOpenAiServer();
    server = await startTestServer(kind, AI_APP, {
      config: {
        llm: { baseUrl: provider.url, apiKey: PROVIDER_KEY, model: 'default-model', aliases: { gpt_5_mini: 'mini-model' }, timeoutMs: 1500 },
        images: { model: 'image-model' },
      },
    });
    app = server.client((await server.signUp('ada@example.com')).token);
  });

  afterAll(async () => {
    await server?.close();
    await provider?.close();
  });

  describe('InvokeLLM', () => {
    it('sends the prompt to the default model with the server key and returns the answer as a string', async () => {
      provider.answer({ content: 'Hello, Ada.' });
      expect(await app.integrations.Core.InvokeLLM({ prompt: 'Greet Ada' })).toBe('Hello, Ada.');
      const request = provider.last();
      expect(request.path).toBe('/v1/chat/completions');
      expect(request.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
      expect(request.body).toMatchObject({ model: 'default-model', messages: [{ role: 'user', content: 'Greet Ada' }] });
      expect(request.body.response_format).toBeUndefined();
    });

    it('keeps an answer that looks like JSON a string when no schema was given', async () => {
      provider.answer({ content: '42' }, { content: '{"a":1}' });
      expect(await app.integrations.Core.InvokeLLM({ prompt: 'A number' })).toBe('42');
      expect(await app.integrations.Core.InvokeLLM({ prompt: 'An object' })).toBe('{"a":1}');
    });

    it('maps SDK model names through the alias tables, the app’s over the server’s, and unknown names to the default', async () => {
      for (const [requested, sent] of [
        ['gpt_5_mini', 'mini-model'],
        ['claude_sonnet_4_6', 'app-claude'],
        ['claude_opus_4_8', 'default-model'],
      ]) {
        await app.integrations.Core.InvokeLLM({ prompt: 'Hi', model: requested as 'gpt_5_mini' });
        expect(provider.last().body.model).toBe(sent);
      }
    });

    it('requests structured output for a schema and returns the parsed object', async () => {
      const schema = { type: 'object', properties: { sentiment: { type: 'string', enum: ['positive', 'negative', 'mixed'] }, score: { type: 'number' } }, required: ['sentiment', 'score'] };
      provider.answer({ content: '{"sentiment":"mixed","score":7}' });
      expect(await app.integrations.Core.InvokeLLM({ prompt: 'Rate: slow service, great food', response_json_schema: schema })).toEqual({ sentiment: 'mixed', score: 7 });
      expect(provider.last().body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'response', schema, strict: false } });
    });

    it('wraps a schema whose root is not an object, as structured output requires, and unwraps the answer', async () => {
      provider.answer({ content: '{"result":["tea","coffee"]}' });
      const answer = await app.integrations.Core.InvokeLLM({ prompt: 'Two drinks', response_json_schema: { type: 'array', items: { type: 'string' } } });
      expect(answer).toEqual(['tea', 'coffee']);
      const format = provider.last().body.response_format as { json_schema: { schema: Rec } };
      expect(format.json_schema.schema).toMatchObject({ type: 'object', properties: { result: { type: 'array' } }, required: ['result'] });
    });

    it('sends an answer that does not match the schema back once with its problems, and returns the repaired one', async () => {
      const schema = { type: 'object', properties: { score: { type: 'number' } }, required: ['score'] };
      provider.answer({ content: '{"score":"high"}' }, { content: '```json\n{"score":9}\n```' });
      const before = provider.requests.length;
      expect(await app.integrations.Core.InvokeLLM({ prompt: 'Score it', response_json_schema: schema })).toEqual({ score: 9 });
      expect(provider.requests.length - before).toBe(2);
      const messages = provider.last().body.messages as Rec[];
      expect(messages.at(-2)).toEqual({ role: 'assistant', content: '{"score":"high"}' });
      expect(messages.at(-1)?.content).toMatch(/score: must be number/);
    });

    it('answers 502 when the repaired answer still does not match', async () => {
      provider.answer({ content: 'not json at all' }, { content: '{"score":"still high"}' });
      const error = await failure(app.integrations.Core.InvokeLLM({ prompt: 'Score it', response_json_schema: { type: 'object', properties: { score: { type: 'number' } } } }));
      expectCoded(error, [502], ['upstream_failed']);
      expect(error.message).toMatch(/score: must be number/);
    });

    it('refuses a response_json_schema that is not a JSON schema', async () => {
      expectCoded(await failure(app.integrations.Core.InvokeLLM({ prompt: 'x', response_json_schema: { type: 'text' } })), [400], ['bad_request']);
    });

    it('sends uploaded images as image inputs and text files as text', async () => {
      const image = await upload(TINY_PNG, 'photo.png', 'image/png');
      const notes = await upload('Meeting at 10:00 in room 4', 'notes.txt', 'text/plain');
      const table = await upload('name,qty\ntea,2\n', 'list.csv', 'text/csv');
      await app.integrations.Core.InvokeLLM({ prompt: 'Describe these', file_urls: [image, notes, table] });
      const content = userMessage().content as Rec[];
      expect(content[0]).toEqual({ type: 'text', text: 'Describe these' });
      expect(content[1]).toEqual({ type: 'image_url', image_url: { url: `data:image/png;base64,${TINY_PNG.toString('base64')}` } });
      expect(content[2]).toEqual({ type: 'text', text: 'Attached file "notes.txt":\nMeeting at 10:00 in room 4' });
      expect(content[3]).toEqual({ type: 'text', text: 'Attached file "list.csv":\nname,qty\ntea,2' });
    });

    it('inlines the text layer of a PDF', async () => {
      const pdf = await upload(pdfWithLines(['Invoice 2026-17', 'Total due: 120 EUR']), 'invoice.pdf', 'application/pdf');
      await app.integrations.Core.InvokeLLM({ prompt: 'Total?', file_urls: [pdf] });
      expect((userMessage().content as Rec[])[1].text).toBe('Attached file "invoice.pdf":\nInvoice 2026-17\nTotal due: 120 EUR');
    });

    it('passes image URLs of other hosts on, and refuses other foreign URLs instead of fetching them', async () => {
      await app.integrations.Core.InvokeLLM({ prompt: 'What is it?', file_urls: ['https://images.example.com/cat.jpg'] });
      expect((userMessage().content as Rec[])[1]).toEqual({ type: 'image_url', image_url: { url: 'https://images.example.com/cat.jpg' } });
      const before = provider.requests.length;
      for (const url of ['http://169.254.169.254/latest/meta-data', 'https://example.com/report.pdf']) {
        const error = await failure(app.integrations.Core.InvokeLLM({ prompt: 'Read it', file_urls: [url] }));
        expectCoded(error, [400], ['bad_request']);
      }
      expect(provider.requests.length).toBe(before);
    });

    it('answers 502 with the provider’s message, without the key, when the provider fails', async () => {
      provider.answer({ status: 500, error: `Upstream overloaded (key ${PROVIDER_KEY} rejected by shard 3)` });
      const error = await failure(app.integrations.Core.InvokeLLM({ prompt: 'Hi' }));
      expectCoded(error, [502], ['upstream_failed']);
      expect(error.message).toMatch(/answered 500: Upstream overloaded/);
      expect(JSON.stringify(error.data)).not.toContain(PROVIDER_KEY);
      expect(JSON.stringify(error.data)).not.toContain('0123456789abcdef');

      provider.answer({ status: 401, error: 'Incorrect API key provided: sk-homeb***cdef.' });
      const refused = await failure(app.integrations.Core.InvokeLLM({ prompt: 'Hi' }));
      expectCoded(refused, [502], ['upstream_failed']);
      expect(refused.message).toMatch(/answered 401: Incorrect API key provided: \[redacted\]/);
    });

    it('answers 504 when the provider does not answer in time', async () => {
      provider.answer({ content: 'too late', delayMs: 3000 });
      expectCoded(await failure(app.integrations.Core.InvokeLLM({ prompt: 'Slow' })), [504], ['gateway_timeout']);
    });

    it('refuses add_context_from_internet with a coded 400: no search provider is configured', async () => {
      const error = await failure(app.integrations.Core.InvokeLLM({ prompt: 'News?', add_context_from_internet: true }));
      expectCoded(error, [400], ['not_configured']);
      expect(error.message).toMatch(/search provider/);
    });

    it('is for signed-in users and the service role only', async () => {
      expectCoded(await failure(server.client().integrations.Core.InvokeLLM({ prompt: 'Hi' })), [401], ['unauthorized']);
      provider.answer({ content: 'from a function' });
      expect(await server.service.integrations.Core.InvokeLLM({ prompt: 'Hi' })).toBe('from a function');
    });
  });

  describe('AI gateway (aiGateway.connection)', () => {
    /** What an OpenAI client does with `connection()`: POST `{baseURL}/chat/completions` with the token as its key. */
    const complete = async (client: Pick<Client, 'aiGateway'>, body: unknown, provider: 'openai' | 'typesafe' = 'openai') => {
      const { baseURL, token } = client.aiGateway.connection({ provider });
      const response = await fetch(`${baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Rec };
    };
    const hello = [{ role: 'user', content: 'Hello' }];

    it('answers the provider’s completion, with "automatic" on the default model and the server key', async () => {
      provider.answer({ content: 'Hi there.' });
      const { status, body } = await complete(app, { model: 'automatic', messages: hello });
      expect(status).toBe(200);
      expect(body).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant', content: 'Hi there.' } }] });
      const request = provider.last();
      expect(request.path).toBe('/v1/chat/completions');
      expect(request.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
      expect(request.body).toEqual({ model: 'default-model', messages: hello });
    });

    it('maps SDK model names as InvokeLLM does, passes sampling and tool settings on and leaves other keys out', async () => {
      const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];
      const { status } = await complete(
        app,
        { model: 'claude_sonnet_4_6', messages: hello, temperature: 0.2, max_tokens: 50, tools, store: true, metadata: { a: 1 }, stream: false },
        'typesafe',
      );
      expect(status).toBe(200);
      expect(provider.last().body).toEqual({ model: 'app-claude', messages: hello, temperature: 0.2, max_tokens: 50, tools });
      await complete(server.service, { model: 'gpt_5_mini', messages: hello });
      expect(provider.last().body.model).toBe('mini-model');
    });

    it('lists the model names an app may ask for', async () => {
      const { baseURL, token } = app.aiGateway.connection();
      const models = (await (await fetch(`${baseURL}/models`, { headers: { authorization: `Bearer ${token}` } })).json()) as { data: { id: string }[] };
      expect(models.data.map((m) => m.id).sort()).toEqual(['automatic', 'claude_sonnet_4_6', 'gpt_5_mini']);
    });

    it('refuses streaming, malformed requests, anonymous callers and unknown gateways with coded errors', async () => {
      const before = provider.requests.length;
      for (const [body, pattern] of [
        [{ messages: hello, stream: true }, /stream is not supported/],
        [{ model: 'automatic' }, /messages must be an array/],
        [{ messages: [] }, /messages must be an array/],
        [{ messages: [{ role: 'wizard', content: 'x' }] }, /messages\[0\] must be an object whose role/],
        [{ messages: ['Hello'] }, /messages\[0\]/],
        [[1, 2], /must be a JSON object/],
      ] as const) {
        const { status, body: answer } = await complete(app, body);
        expect(status).toBe(400);
        expect(answer).toMatchObject({ code: 'bad_request' });
        expect(answer.message).toMatch(pattern);
      }
      expect((await complete(app, '{"messages": [')).status).toBe(400);
      const anonymous = await complete(server.client(), { messages: hello });
      expect(anonymous).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
      const forged = await fetch(`${app.aiGateway.connection().baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer not.a.token' },
        body: JSON.stringify({ messages: hello }),
      });
      expect(forged.status).toBe(401);
      const unknown = await fetch(`${server.url}/api/apps/${server.appId}/ai/anthropic/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${app.aiGateway.connection().token}` },
        body: JSON.stringify({ messages: hello }),
      });
      expect(unknown.status).toBe(404);
      expect(provider.requests.length).toBe(before);
    });

    it('answers 502 with the provider’s message, without the key, when the provider fails', async () => {
      provider.answer({ status: 429, error: `Rate limit reached for key ${PROVIDER_KEY}` });
      const { status, body } = await complete(app, { messages: hello });
      expect(status).toBe(502);
      expect(body).toMatchObject({ code: 'upstream_failed' });
      expect(body.message).toMatch(/answered 429: Rate limit reached/);
      expect(JSON.stringify(body)).not.toContain(PROVIDER_KEY);
    });
  });

  describe('GenerateImage', () => {
    it('stores the generated image as a public file of the app and returns its URL', async () => {
      const { url } = (await app.integrations.Core.GenerateImage({ prompt: 'A lighthouse at dusk' })) as { url: string };
      expect(provider.last()).toMatchObject({ path: '/v1/images/generations', body: { model: 'image-model', prompt: 'A lighthouse at dusk', n: 1 } });
      expect(url.startsWith(server.url)).toBe(true);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^image\/png/);
      expect(Buffer.from(await response.arrayBuffer()).equals(TINY_PNG)).toBe(true);
    });

    it('downloads the image when the provider answers with a URL', async () => {
      provider.answer({ image: TINY_PNG, as: 'url' });
      const { url } = (await app.integrations.Core.GenerateImage({ prompt: 'A boat' })) as { url: string };
      expect(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(TINY_PNG)).toBe(true);
    });

    it('answers 502 when the provider fails', async () => {
      provider.answer({ status: 400, error: 'Your request was rejected by the safety system.' });
      const error = await failure(app.integrations.Core.GenerateImage({ prompt: 'Something' }));
      expectCoded(error, [502], ['upstream_failed']);
      expect(error.message).toMatch(/safety system/);
    });
  });

  describe('ExtractDataFromUploadedFile', () => {
    const extract = async (fileUrl: string, schema: object) =>
      (await app.integrations.Core.ExtractDataFromUploadedFile({ file_url: fileUrl, json_schema: schema })) as { status: string; details: string; output: unknown };

    it('reads a CSV into the array property of an object schema, typed as the schema says', async () => {
      const csv = await upload('Product,Quantity,Unit price,Gift\nGreen tea,3,4.50,no\n"Coffee, beans",1,12,yes\n', 'order.csv', 'text/csv');
      const before = provider.requests.length;
      expect(await extract(csv, ORDER_SCHEMA)).toMatchObject({ status: 'success', output: { items: ORDER_ROWS } });
      expect(provider.requests.length).toBe(before);
    });

    it('answers the rows themselves for an array schema or a flat object schema', async () => {
      const csv = await upload('product;quantity\nGreen tea;3\nCoffee;1,5\n', 'semicolons.csv', 'text/csv');
      const rows = [{ product: 'Green tea', quantity: 3 }, { product: 'Coffee', quantity: 1.5 }];
      const row = ORDER_SCHEMA.properties.items.items;
      expect((await extract(csv, { type: 'array', items: row })).output).toEqual(rows);
      expect((await extract(csv, row)).output).toEqual(rows);
    });

    it('reads the first worksheet of an XLSX workbook', async () => {
      const xlsx = await upload(
        await xlsxOf([['product', 'quantity', 'unit_price', 'gift'], ['Green tea', 3, 4.5, false], ['Coffee, beans', 1, 12, true]]),
        'order.xlsx',
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      );
      expect(await extract(xlsx, ORDER_SCHEMA)).toMatchObject({ status: 'success', output: { items: ORDER_ROWS } });
    });

    it('reads a JSON file that already has the schema’s shape, or an array of its rows', async () => {
      const whole = await upload(JSON.stringify({ items: ORDER_ROWS }), 'order.json', 'application/json');
      expect(await extract(whole, ORDER_SCHEMA)).toMatchObject({ status: 'success', output: { items: ORDER_ROWS } });
      const rows = await upload(JSON.stringify(ORDER_ROWS), 'rows.json', 'application/json');
      expect(await extract(rows, ORDER_SCHEMA)).toMatchObject({ status: 'success', output: { items: ORDER_ROWS } });
    });

    it('reads a table from the text layer of a PDF', async () => {
      const pdf = await upload(
        pdfWithTable([['Order 17'], ['Product', 'Quantity', 'Unit price', 'Gift'], ['Green tea', '3', '4.50', 'no'], ['Coffee, beans', '1', '12', 'yes'], ['Page 1']]),
        'order.pdf',
        'application/pdf',
      );
      expect(await extract(pdf, ORDER_SCHEMA)).toMatchObject({ status: 'success', output: { items: ORDER_ROWS } });
    });

    it('sends a PDF without a table to the model with the schema', async () => {
      const schema = { type: 'object', properties: { invoice_number: { type: 'string' }, total: { type: 'number' } } };
      const pdf = await upload(pdfWithLines(['Invoice INV-2026-17', 'Thank you for your order.', 'Total due: 120.00 EUR']), 'invoice.pdf', 'application/pdf');
      provider.answer({ content: '{"invoice_number":"INV-2026-17","total":120}' });
      expect(await extract(pdf, schema)).toMatchObject({ status: 'success', output: { invoice_number: 'INV-2026-17', total: 120 } });
      expect(provider.last().body.response_format).toMatchObject({ json_schema: { schema } });
      expect(JSON.stringify(userMessage().content)).toContain('Total due: 120.00 EUR');
    });

    it('answers status "error" with the rows and fields that do not match the schema', async () => {
      const csv = await upload('product,quantity\nGreen tea,three\n,2\n', 'bad.csv', 'text/csv');
      const result = await extract(csv, ORDER_SCHEMA);
      expect(result.status).toBe('error');
      expect(result.output).toBeNull();
      expect(result.details).toMatch(/Row 1: quantity: must be number/);
      expect(result.details).toMatch(/Row 2: \(root\): must have required property 'product'/);
    });

    it('answers status "error" for a file it cannot read, and 400 for a URL that is not the app’s file', async () => {
      const zip = await upload(Buffer.from('PK\u0003\u0004not really a zip'), 'archive.zip', 'application/zip');
      expect(await extract(zip, ORDER_SCHEMA)).toMatchObject({ status: 'error', details: expect.stringMatching(/cannot be read/) });
      expectCoded(await failure(extract('https://example.com/order.csv', ORDER_SCHEMA)), [400], ['bad_request']);
    });
  });
});

describe('AI integrations without providers', () => {
  let server: TestServer;
  let app: Client;

  beforeAll(async () => {
    server = await startTestServer('pglite', AI_APP);
    app = server.client((await server.signUp('ada@example.com')).token);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('answers 503 not_configured naming the settings to add', async () => {
    const llm = await failure(app.integrations.Core.InvokeLLM({ prompt: 'Hi' }));
    expectCoded(llm, [503], ['not_configured']);
    expect(llm.message).toMatch(/LLM_BASE_URL/);
    const image = await failure(app.integrations.Core.GenerateImage({ prompt: 'A cat' }));
    expectCoded(image, [503], ['not_configured']);
    expect(image.message).toMatch(/IMAGE_MODEL/);
  });

  it('answers the AI gateway 503 not_configured', async () => {
    const { baseURL, token } = app.aiGateway.connection();
    const response = await fetch(`${baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: 'not_configured', message: expect.stringMatching(/LLM_BASE_URL/) });
  });

  it('still reads tables, which need no model, and answers 503 for text that would', async () => {
    const { file_url: csv } = (await app.integrations.Core.UploadFile({ file: new File(['product,quantity\ntea,2\n'], 'o.csv', { type: 'text/csv' }) })) as { file_url: string };
    expect(await app.integrations.Core.ExtractDataFromUploadedFile({ file_url: csv, json_schema: ORDER_SCHEMA })).toMatchObject({
      status: 'success',
      output: { items: [{ product: 'tea', quantity: 2 }] },
    });
    const { file_url: text } = (await app.integrations.Core.UploadFile({ file: new File(['Just prose.'], 'notes.txt', { type: 'text/plain' }) })) as { file_url: string };
    const error = await failure(app.integrations.Core.ExtractDataFromUploadedFile({ file_url: text, json_schema: ORDER_SCHEMA }));
    expectCoded(error, [503], ['not_configured']);
  });
});
