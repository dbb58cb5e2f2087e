// The app's Base44 client, wired as Base44 templates wire it: the API on the page's own origin (serverUrl ''), the
// token and app id from app-params, the hosted login page on appBaseUrl. AuthContext does the sign-in check.
import { createClient } from '@base44/sdk';
import { appParams } from '@/lib/app-params';

const { appId, token, functionsVersion, appBaseUrl } = appParams;

export const base44 = createClient({
  appId,
  token,
  functionsVersion,
  serverUrl: '',
  requiresAuth: false,
  appBaseUrl,
});
