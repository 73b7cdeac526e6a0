// Tenant plans in the console: the budget bar on every tab (POST /tenant_status) and the admin's
// plan editor (POST /tenant_plan). Money stays a decimal string from the API; the bar's position
// is the only place a float is used, and it never feeds a figure shown as money.
import { formatDecimalString } from './decimal.js';

const $ = (id) => document.getElementById(id);

function text(id, value) {
  $(id).textContent = value === null || value === undefined ? '' : String(value);
}

function showError(id, err) {
  const node = $(id);
  node.textContent = err ? (err instanceof Error ? err.message : String(err)) : '';
  node.hidden = !err;
}

function day(iso) {
  return String(iso || '').slice(0, 10);
}

export function renderBudget(status) {
  const bar = $('budget-bar');
  if (!status || typeof status !== 'object' || !status.plan) {
    bar.hidden = true;
    return;
  }
  const budget = status.plan.monthly_budget_usd;
  const settled = status.spend_settled;
  const inFlight = status.spend_in_flight;
  text('budget-period', `${status.period || day(status.period_start).slice(0, 7)} (resets ${status.period_end})`);
  text('budget-settled', formatDecimalString(settled));
  text('budget-in-flight', formatDecimalString(inFlight));
  const progress = $('budget-progress');
  if (budget === null || budget === undefined) {
    text('budget-limit', 'no budget');
    text('budget-remaining', '');
    progress.hidden = true;
  } else {
    text('budget-limit', `${formatDecimalString(budget)} US$ (${status.plan.hard ? 'hard' : 'soft'})`);
    text('budget-remaining', `${formatDecimalString(status.remaining)} US$ left`);
    progress.max = Number(budget) || 1;
    progress.value = Math.min(progress.max, Number(settled) + Number(inFlight));
    progress.hidden = false;
  }
  bar.dataset.state = status.remaining === '0' ? 'exhausted' : 'ok';
  bar.hidden = false;
}

export async function refreshBudget(api) {
  try {
    renderBudget(await api.post('tenant_status', {}));
  } catch {
    $('budget-bar').hidden = true; // plans may be off in this deployment; the bar is not essential
  }
}

// ---------------------------------------------------------------- admin: plans

function fillPlan(plan) {
  $('plan-budget').value = plan.monthly_budget_usd ?? '';
  $('plan-hard').checked = Boolean(plan.hard);
  $('plan-thresholds').value = (plan.alert_thresholds || []).join(', ');
  $('plan-rpm').value = plan.requests_per_minute ?? 0;
  $('plan-tpm').value = plan.tokens_per_minute ?? 0;
  $('plan-models').value = (plan.models || []).join(', ');
  text('plan-source', plan.default ? 'default plan (this tenant has none of its own)' : 'stored plan');
  $('plan-fields').hidden = false;
}

function wholeNumber(id, name) {
  const raw = $(id).value.trim();
  if (raw === '') return 0;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number (0 = no limit).`);
  return Number(raw);
}

export function planFromForm() {
  const budget = $('plan-budget').value.trim();
  if (budget && !/^\d{1,12}(\.\d{1,12})?$/.test(budget)) {
    throw new Error('Monthly budget must be a decimal number such as 25.00, or empty for no budget.');
  }
  const thresholds = $('plan-thresholds').value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!thresholds.every((t) => /^\d+$/.test(t))) throw new Error('Alert thresholds are whole percentages.');
  return {
    monthly_budget_usd: budget || null,
    hard: $('plan-hard').checked,
    alert_thresholds: thresholds.map(Number),
    requests_per_minute: wholeNumber('plan-rpm', 'Requests per minute'),
    tokens_per_minute: wholeNumber('plan-tpm', 'Tokens per minute'),
    models: $('plan-models').value.split(',').map((s) => s.trim()).filter(Boolean),
  };
}

function renderTenants(list) {
  const body = $('plans-table').tBodies[0];
  body.replaceChildren();
  for (const s of Array.isArray(list) ? list : []) {
    const row = document.createElement('tr');
    const values = [
      s.tenant,
      s.plan?.monthly_budget_usd === null ? '—' : formatDecimalString(s.plan?.monthly_budget_usd),
      s.plan?.hard ? 'hard' : 'soft',
      formatDecimalString(s.spend_settled),
      formatDecimalString(s.spend_in_flight),
      s.remaining === null ? '—' : formatDecimalString(s.remaining),
      `${s.plan?.requests_per_minute || '∞'} / ${s.plan?.tokens_per_minute || '∞'}`,
    ];
    values.forEach((value, index) => {
      const td = document.createElement('td');
      td.textContent = value ?? '';
      if (index > 0 && index < 6) td.className = 'num';
      row.append(td);
    });
    row.addEventListener('click', () => {
      $('plan-tenant').value = s.tenant;
      $('plan-load').click();
    });
    body.append(row);
  }
}

export function wirePlans(api, busy) {
  $('plan-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    showError('plan-error', null);
    const tenant = $('plan-tenant').value.trim();
    if (!tenant) {
      showError('plan-error', 'Enter a tenant id.');
      return;
    }
    const saving = event.submitter?.id === 'plan-save';
    let body = { tenant };
    try {
      if (saving) body = { tenant, ...planFromForm() };
    } catch (err) {
      showError('plan-error', err);
      return;
    }
    await busy(event.submitter || $('plan-load'), async () => {
      try {
        fillPlan(await api.post('tenant_plan', body));
        text('plan-saved', saving ? `Saved the plan of ${tenant}.` : '');
        if (saving) await loadTenants(api);
      } catch (err) {
        showError('plan-error', err);
      }
    });
  });
  $('plans-refresh').addEventListener('click', () => loadTenants(api));
}

export async function loadTenants(api) {
  showError('plans-error', null);
  try {
    renderTenants(await api.post('tenant_status', {}));
  } catch (err) {
    showError('plans-error', err);
  }
}
