// Where the console finds Cognito and the API: window.APP_CONFIG (config.js, rendered per deployment),
// overridden field by field by the "Credential" dialog, which keeps its values in sessionStorage only.

const OVERRIDE_KEY = 'btp.config-override';
export const FIELDS = ['region', 'userPoolId', 'clientId', 'apiUrl', 'cognitoEndpoint', 'adminGroup'];

export function deploymentConfig() {
  const raw = window.APP_CONFIG;
  return raw && typeof raw === 'object' ? raw : {};
}

export function readOverride() {
  try {
    const parsed = JSON.parse(sessionStorage.getItem(OVERRIDE_KEY) || '{}');
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch {
    return {};
  }
}

export function saveOverride(values) {
  const clean = {};
  for (const key of FIELDS) {
    const v = (values[key] ?? '').toString().trim();
    if (v) clean[key] = v;
  }
  sessionStorage.setItem(OVERRIDE_KEY, JSON.stringify(clean));
}

export function clearOverride() {
  sessionStorage.removeItem(OVERRIDE_KEY);
}

export function effectiveConfig() {
  const merged = { ...deploymentConfig(), ...readOverride() };
  const cfg = {};
  for (const key of FIELDS) cfg[key] = (merged[key] ?? '').toString().trim();
  if (!cfg.adminGroup) cfg.adminGroup = 'admin';
  if (!cfg.cognitoEndpoint && cfg.region) cfg.cognitoEndpoint = `https://cognito-idp.${cfg.region}.amazonaws.com/`;
  cfg.apiUrl = cfg.apiUrl.replace(/\/+$/, '');
  return cfg;
}

// What is still missing before anyone can sign in, as readable names.
export function missingFields(cfg) {
  const names = { clientId: 'app client id', apiUrl: 'API URL', cognitoEndpoint: 'Cognito endpoint or region' };
  return Object.keys(names).filter((k) => !cfg[k]).map((k) => names[k]);
}

export function validateUrl(value, label) {
  if (!value) return null;
  let url;
  try {
    url = new URL(value);
  } catch {
    return `${label} is not a URL: ${value}`;
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return `${label} must use https (plain http is accepted only on this computer): ${value}`;
  }
  return null;
}
