// The tenant registry in the console (admins): the list with status, plan and month-to-date spend
// (POST /tenants), adding a tenant (POST /tenant_create), disabling and re-enabling it
// (POST /tenant_update) and adding a user (POST /tenant_user), whose temporary password is shown
// once and never stored. Money stays the API's decimal strings.
import { formatDecimalString } from './decimal.js';

const $ = (id) => document.getElementById(id);
// The API's own rule (token_profiler.tenants): checked here too, so a typo never leaves the page.
const TENANT_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function showError(id, err) {
  const node = $(id);
  node.textContent = err ? (err instanceof Error ? err.message : String(err)) : '';
  node.hidden = !err;
}

function say(message) {
  $('tenant-message').textContent = message || '';
}

function forgetPassword() {
  $('tenant-password-box').hidden = true;
  $('tenant-password').textContent = '';
}

function cell(row, value, className = '') {
  const td = document.createElement('td');
  td.textContent = value ?? '';
  if (className) td.className = className;
  row.append(td);
  return td;
}

export function renderTenantList(tenants, onToggle) {
  const body = $('tenants-table').tBodies[0];
  body.replaceChildren();
  for (const t of Array.isArray(tenants) ? tenants : []) {
    const row = document.createElement('tr');
    row.dataset.tenant = t.tenant;
    row.dataset.status = t.status;
    cell(row, t.tenant);
    cell(row, t.display_name);
    cell(row, t.status);
    const budget = t.plan?.monthly_budget_usd;
    cell(row, budget === null || budget === undefined ? 'none' : formatDecimalString(budget), 'num');
    cell(row, formatDecimalString(t.spend_month_to_date), 'num');
    cell(row, String(t.created_at || '').slice(0, 10));
    const action = document.createElement('button');
    action.type = 'button';
    action.className = 'secondary';
    const next = t.status === 'disabled' ? 'active' : 'disabled';
    action.textContent = next === 'disabled' ? 'Disable' : 'Enable';
    action.setAttribute('aria-label', `${action.textContent} tenant ${t.tenant}`);
    action.addEventListener('click', () => onToggle(t.tenant, next, action));
    cell(row, '').append(action);
    body.append(row);
  }
}

export async function loadTenantList(api) {
  showError('tenants-error', null);
  try {
    const answer = await api.post('tenants', {});
    renderTenantList(answer.tenants, (tenant, status, button) => toggle(api, tenant, status, button));
  } catch (err) {
    showError('tenants-error', err);
  }
}

async function toggle(api, tenant, status, button) {
  showError('tenants-error', null);
  forgetPassword();
  button.disabled = true;
  try {
    await api.post('tenant_update', { tenant, status });
    say(status === 'disabled'
      ? `Disabled ${tenant}: its calls are refused within the plan cache time (30 s by default).`
      : `Enabled ${tenant}.`);
    await loadTenantList(api);
  } catch (err) {
    showError('tenants-error', err);
    button.disabled = false;
  }
}

export function userFromForm() {
  const tenant = $('user-tenant').value.trim();
  const username = $('user-name').value.trim();
  const email = $('user-email').value.trim();
  if (!TENANT_ID.test(tenant)) throw new Error('Tenant: 1-63 lowercase letters, digits or "-".');
  if (!username) throw new Error('Enter a user name.');
  if (!email.includes('@')) throw new Error('Enter the user\'s e-mail address.');
  return { tenant, username, email, admin: $('user-admin').checked };
}

export function wireTenants(api, busy) {
  $('tenant-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    showError('tenants-error', null);
    forgetPassword();
    const tenant = $('tenant-id').value.trim();
    const name = $('tenant-name').value.trim();
    if (!TENANT_ID.test(tenant)) {
      showError('tenants-error', 'Tenant id: 1-63 lowercase letters, digits or "-", starting and ending with a letter or digit.');
      return;
    }
    await busy($('tenant-add'), async () => {
      try {
        const body = name ? { tenant, display_name: name } : { tenant };
        const record = await api.post('tenant_create', body);
        say(record.created ? `Registered ${tenant}.` : `${tenant} is already registered (${record.status}); nothing changed.`);
        $('user-tenant').value = tenant;
        await loadTenantList(api);
      } catch (err) {
        showError('tenants-error', err);
      }
    });
  });

  $('user-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    showError('tenants-error', null);
    forgetPassword();
    let body;
    try {
      body = userFromForm();
    } catch (err) {
      showError('tenants-error', err);
      return;
    }
    await busy($('user-add'), async () => {
      try {
        const user = await api.post('tenant_user', body);
        if (user.created) {
          say(`Created user ${user.username} in ${user.tenant}${user.admin ? ' (admin)' : ''}.`);
          $('tenant-password').textContent = user.temporary_password;
          $('tenant-password-box').hidden = false;
        } else {
          say(`User ${user.username} already exists in ${user.tenant}; no user created.`);
        }
      } catch (err) {
        showError('tenants-error', err);
      }
    });
  });

  $('tenants-refresh').addEventListener('click', () => loadTenantList(api));
}
