// Vite build and dev server of the Karara example frontend. The app id defaults to the committed base44/.app.jsonc
// (the id `homebase dev` serves this project under); in dev, /api, the socket and the login pages go to Homebase.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { parse } from 'jsonc-parser';
import { defineConfig, loadEnv } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));
const HOMEBASE_PATHS = ['/api', '/login', '/signup', '/verify-email', '/resend-code', '/forgot-password', '/reset-password', '/accept-invite'];

function committedAppId() {
  const file = path.join(root, 'base44/.app.jsonc');
  return existsSync(file) ? parse(readFileSync(file, 'utf8'))?.id : undefined;
}

export default defineConfig(({ mode }) => {
  // `homebase dev` sets these for its serveCommand, as `base44 dev` does.
  const env = loadEnv(mode, root, 'VITE_BASE44_');
  const appId = env.VITE_BASE44_APP_ID || committedAppId();
  const backend = env.VITE_BASE44_BACKEND_URL || env.VITE_BASE44_APP_BASE_URL || 'http://127.0.0.1:4400';
  return {
    root,
    plugins: [react()],
    resolve: { alias: { '@': path.join(root, 'src') } },
    define: appId ? { 'import.meta.env.VITE_BASE44_APP_ID': JSON.stringify(appId) } : {},
    build: { outDir: path.join(root, 'dist'), emptyOutDir: true },
    server: {
      proxy: {
        ...Object.fromEntries(HOMEBASE_PATHS.map((prefix) => [prefix, { target: backend }])),
        '/ws-user-apps': { target: backend, ws: true },
      },
    },
  };
});
