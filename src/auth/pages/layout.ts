// The frame every hosted auth page shares: document, stylesheet, card, alert and form fields.
// Pure string building; every interpolated value goes through escapeHtml.

import { escapeHtml } from '../../http/html.js';

/** What every page knows: whose app it is and where the browser goes back to afterwards. */
export interface PageContext {
  appName: string;
  appId: string;
  /** The caller's from_url, already checked; carried through every form and link. */
  fromUrl?: string;
}

export interface Field {
  name: string;
  label: string;
  type: 'email' | 'password' | 'text';
  autocomplete: string;
  value?: string;
  required?: boolean;
  autofocus?: boolean;
  hint?: string;
  /** Further attributes, e.g. `{ minlength: '8' }`; names must be literal attribute names. */
  attributes?: Record<string, string>;
}

// Colours meet WCAG AA: text 4.5:1 on its background, borders and the focus ring 3:1.
const STYLESHEET = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:24px 16px;
  font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;background:#f3f4f6;color:#1f2328}
main{width:100%;max-width:24rem;background:#fff;border:1px solid #d0d7de;border-radius:12px;padding:32px 28px;
  box-shadow:0 1px 3px rgba(0,0,0,.08)}
.brand{margin:0 0 4px;font-weight:600;color:#57606a;font-size:.95rem}
h1{margin:0 0 20px;font-size:1.5rem;line-height:1.25}
p{margin:0 0 16px}
.field{margin:0 0 16px}
label{display:block;margin:0 0 4px;font-weight:600}
.hint{display:block;margin:4px 0 0;font-size:.875rem;color:#57606a}
input{width:100%;padding:10px 12px;font:inherit;color:inherit;background:#fff;border:1px solid #6e7781;border-radius:6px}
button{width:100%;padding:10px 16px;font:inherit;font-weight:600;color:#fff;background:#0b5cd5;border:1px solid #0b5cd5;
  border-radius:6px;cursor:pointer}
button:hover{background:#0a4fb8}
button.secondary{color:#0b5cd5;background:#fff}
a{color:#0b5cd5}
:focus-visible{outline:3px solid #0b5cd5;outline-offset:2px}
input:focus-visible{outline-offset:0}
.alert,.notice{margin:0 0 16px;padding:10px 12px;border-radius:6px;border:1px solid}
.alert{background:#ffebe9;color:#82071e;border-color:#cf222e}
.notice{background:#ddf4ff;color:#0a3069;border-color:#54aeff}
.links{margin:20px 0 0;display:flex;flex-wrap:wrap;gap:8px 16px;justify-content:space-between}
form+form{margin-top:12px}
`.replace(/\n\s*/g, '');

export function htmlDocument(context: PageContext, title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="robots" content="noindex">` +
    `<title>${escapeHtml(title)} · ${escapeHtml(context.appName)}</title><style>${STYLESHEET}</style></head>` +
    `<body><main><p class="brand">${escapeHtml(context.appName)}</p><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`
  );
}

/** The error of the last attempt (announced by screen readers), or a neutral notice. */
export function messages(error?: string, notice?: string): string {
  return (
    (error ? `<div class="alert" role="alert">${escapeHtml(error)}</div>` : '') +
    (notice ? `<div class="notice" role="status">${escapeHtml(notice)}</div>` : '')
  );
}

export function field(spec: Field): string {
  const id = spec.name.replace(/_/g, '-');
  const hintId = `${id}-hint`;
  const attributes: Record<string, string | undefined> = {
    id,
    name: spec.name,
    type: spec.type,
    autocomplete: spec.autocomplete,
    value: spec.value,
    'aria-describedby': spec.hint ? hintId : undefined,
    ...spec.attributes,
  };
  const rendered = Object.entries(attributes)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
    .join('');
  const flags = `${spec.required === false ? '' : ' required'}${spec.autofocus ? ' autofocus' : ''}`;
  const hint = spec.hint ? `<span class="hint" id="${hintId}">${escapeHtml(spec.hint)}</span>` : '';
  return `<div class="field"><label for="${id}">${escapeHtml(spec.label)}</label><input${rendered}${flags}>${hint}</div>`;
}

export function hidden(values: Record<string, string | undefined>): string {
  return Object.entries(values)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
}

/** The hidden inputs that carry the app and from_url through a form. */
export function carried(context: PageContext): string {
  return hidden({ app_id: context.appId, from_url: context.fromUrl });
}

export function form(action: string, content: string, submitLabel: string, buttonClass?: string): string {
  const classAttribute = buttonClass ? ` class="${escapeHtml(buttonClass)}"` : '';
  return `<form method="post" action="${escapeHtml(action)}">${content}<button type="submit"${classAttribute}>${escapeHtml(submitLabel)}</button></form>`;
}

/** A link to another hosted page that keeps the app and from_url. */
export function pageLink(context: PageContext, path: string, label: string, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams({ ...extra, app_id: context.appId, ...(context.fromUrl ? { from_url: context.fromUrl } : {}) });
  return `<a href="${escapeHtml(`${path}?${query}`)}">${escapeHtml(label)}</a>`;
}

export function links(items: string[]): string {
  return items.length > 0 ? `<p class="links">${items.join('')}</p>` : '';
}
