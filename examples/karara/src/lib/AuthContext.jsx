// The boot sequence of a Base44 app: the public-settings check first (it tells whether the app may be used at all),
// then the signed-in user. Karara keeps everything per user, so without one it sends people to the login page.
import { createContext, useContext, useEffect, useState } from 'react';
import { createAxiosClient } from '@base44/sdk/dist/utils/axios-client';
import { base44 } from '@/api/base44Client';
import { appParams } from '@/lib/app-params';

const AuthContext = createContext(null);

// Templates call this path with the SDK's own axios client, so errors arrive as Base44Error with status and data.
function fetchPublicSettings() {
  const client = createAxiosClient({
    baseURL: '/api/apps/public',
    headers: { 'X-App-Id': appParams.appId },
    token: appParams.token,
    interceptResponses: true,
  });
  return client.get(`/prod/public-settings/by-id/${appParams.appId}`);
}

function goToLogin() {
  base44.auth.redirectToLogin(window.location.href);
  return { status: 'redirecting' };
}

async function boot() {
  try {
    await fetchPublicSettings();
    if (!appParams.token) return goToLogin();
    return { status: 'signed-in', user: await base44.auth.me() };
  } catch (error) {
    const reason = error.data?.extra_data?.reason;
    if (error.status === 401 || reason === 'auth_required') return goToLogin();
    if (reason === 'user_not_registered') return { status: 'error', message: 'This account may not use Karara.' };
    return { status: 'error', message: error.message ?? 'Karara could not start.' };
  }
}

export function AuthProvider({ children }) {
  const [state, setState] = useState({ status: 'loading' });

  useEffect(() => {
    let current = true;
    boot().then((next) => current && setState(next));
    return () => {
      current = false;
    };
  }, []);

  const logout = () => base44.auth.logout();
  return <AuthContext.Provider value={{ ...state, logout }}>{children}</AuthContext.Provider>;
}

export function useAuth() {
  return useContext(AuthContext);
}
