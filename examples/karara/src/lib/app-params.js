// The app's parameters, read as Base44 templates read them: a URL parameter wins (and is remembered in localStorage
// under base44_<name>), then the build's VITE_BASE44_* value, then what was remembered.
const storage = window.localStorage;

function appParam(name, { fallback, removeFromUrl = false } = {}) {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get(name);
  // The login page hands the token over in the address bar; it must not stay there (history, screenshots, referrers).
  if (removeFromUrl && fromUrl !== null) {
    url.searchParams.delete(name);
    window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  }
  const value = fromUrl || fallback;
  if (value) {
    storage.setItem(`base44_${name}`, value);
    return value;
  }
  return storage.getItem(`base44_${name}`);
}

if (new URLSearchParams(window.location.search).get('clear_access_token') === 'true') {
  storage.removeItem('base44_access_token');
  storage.removeItem('token');
}

export const appParams = {
  appId: appParam('app_id', { fallback: import.meta.env.VITE_BASE44_APP_ID }),
  token: appParam('access_token', { removeFromUrl: true }),
  functionsVersion: appParam('functions_version', { fallback: import.meta.env.VITE_BASE44_FUNCTIONS_VERSION }),
  appBaseUrl: appParam('app_base_url', { fallback: import.meta.env.VITE_BASE44_APP_BASE_URL }),
};
