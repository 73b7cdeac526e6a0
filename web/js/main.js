// The console: wires the sign-in, the tenant view (invoke, own usage) and the admin view.
// Everything that comes from Cognito, the API or the user is written with textContent.
import { Api } from './api.js';
import { renderStackedBars } from './chart.js';
import { CognitoAuth, groupsOf, tenantOf } from './cognito.js';
import { add, format, formatDecimalString } from './decimal.js';
import {
  clearOverride, deploymentConfig, effectiveConfig, FIELDS, missingFields, readOverride, saveOverride, validateUrl,
} from './settings.js';
import { groupBy, normalizeRow, pivot, sortRows, toCsv, totals } from './usage.js';
import { loadTenants, refreshBudget, wirePlans } from './plans.js';
import { loadStatements, showStatementAdmin, wireStatements } from './statements.js';
import { loadTenantList, wireTenants } from './tenants.js';

const $ = (id) => document.getElementById(id);

function setText(id, value) {
  $(id).textContent = value === null || value === undefined ? '' : String(value);
}

function showError(id, err) {
  const node = $(id);
  if (!err) {
    node.hidden = true;
    node.textContent = '';
    return;
  }
  node.textContent = err instanceof Error ? err.message : String(err);
  node.hidden = false;
}

function notice(text) {
  const node = $('notice');
  node.textContent = text || '';
  node.hidden = !text;
}

function cell(text, className = '') {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

// Reads every page of a usage answer, telling the user how far it got in the status line `id`.
async function loadAllPages(id, start, end, tenant = '') {
  const node = $(id);
  node.classList.remove('error');
  node.textContent = 'Loading…';
  node.hidden = false;
  const count = (n) => n.toLocaleString('en-US');
  const result = await api.usage(start, end, tenant, {
    onPage: ({ pages, rows }) => {
      node.textContent = `Loading… ${count(rows)} rows from ${pages} page(s) so far.`;
    },
  });
  if (result.partial) {
    node.classList.add('error');
    node.textContent = `Partial view: only the first ${count(result.rows.length)} rows (${result.pages} pages, the most`
      + ` one view reads) are shown; totals, chart and CSV cover those only. Narrow the dates or the tenant.`;
  } else {
    node.textContent = `All ${count(result.rows.length)} rows loaded (${result.pages} page${result.pages === 1 ? '' : 's'}).`;
  }
  node.dataset.partial = String(result.partial);
  return result.rows;
}

async function busy(button, work) {
  button.disabled = true;
  button.classList.add('busy');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.classList.remove('busy');
    // A completion counter, so that a script or a test can tell this run has finished.
    button.dataset.runs = String(Number(button.dataset.runs || 0) + 1);
  }
}

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function daysAgo(n) {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() - n);
  return isoDay(d);
}

const integerText = (d) => BigInt(format(d).split('.')[0]).toLocaleString('en-US');
const costText = (d) => format(d);
const cacheText = (r) => `${integerText(r.cache_read_input_tokens)} / ${integerText(r.cache_write_input_tokens)}`;

// ---------------------------------------------------------------- state

const state = { models: [], usageRows: null, reportRows: [], reportRange: null };
const auth = new CognitoAuth(effectiveConfig, {
  onChange: () => render(),
  onExpired: () => {
    clearViews();
    notice('Your session has expired. Sign in again.');
  },
});
const api = new Api(effectiveConfig, auth);

function claims() {
  try {
    return auth.claims;
  } catch {
    return null;
  }
}

function isAdmin() {
  const c = claims();
  return Boolean(c) && groupsOf(c).includes(effectiveConfig().adminGroup);
}

// ---------------------------------------------------------------- layout

function render() {
  const signedIn = auth.signedIn && claims();
  $('signin-view').hidden = Boolean(signedIn);
  $('app-view').hidden = !signedIn;
  $('signout-button').hidden = !signedIn;
  $('who').hidden = !signedIn;
  if (!signedIn) {
    const admin = $('admin-panel');
    admin.hidden = true;
    $('tab-admin').hidden = true;
    return;
  }
  const c = claims();
  setText('who-user', c['cognito:username'] || c.email || c.sub);
  setText('who-tenant', `tenant ${tenantOf(c)}`);
  const admin = isAdmin();
  $('who-admin').hidden = !admin;
  $('tab-admin').hidden = !admin;
  showStatementAdmin(admin);
  if (!admin && !$('admin-panel').hidden) selectTab('invoke-panel');
}

function selectTab(panelId) {
  for (const tab of document.querySelectorAll('.tabs [role=tab]')) {
    const selected = tab.dataset.panel === panelId;
    tab.setAttribute('aria-selected', String(selected));
    $(tab.dataset.panel).hidden = !selected;
  }
  // The admin panel is only ever shown to a token that carries the admin group.
  if (panelId === 'admin-panel' && !isAdmin()) $('admin-panel').hidden = true;
}

// ---------------------------------------------------------------- credential dialog

const CRED_INPUTS = {
  region: 'cred-region', userPoolId: 'cred-user-pool-id', clientId: 'cred-client-id',
  apiUrl: 'cred-api-url', cognitoEndpoint: 'cred-cognito-endpoint', adminGroup: 'cred-admin-group',
};

function openCredential() {
  const values = { ...deploymentConfig(), ...readOverride() };
  for (const key of FIELDS) $(CRED_INPUTS[key]).value = values[key] ?? '';
  showError('credential-error', null);
  $('credential-dialog').showModal();
}

function wireCredential() {
  $('credential-button').addEventListener('click', openCredential);
  $('credential-cancel').addEventListener('click', () => $('credential-dialog').close());
  $('credential-reset').addEventListener('click', () => {
    clearOverride();
    $('credential-dialog').close();
    notice('Using the deployment settings.');
  });
  $('credential-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const values = {};
    for (const key of FIELDS) values[key] = $(CRED_INPUTS[key]).value;
    const problem = validateUrl(values.apiUrl.trim(), 'API URL') || validateUrl(values.cognitoEndpoint.trim(), 'Cognito endpoint');
    if (problem) {
      showError('credential-error', problem);
      return;
    }
    saveOverride(values);
    $('credential-dialog').close();
    const missing = missingFields(effectiveConfig());
    notice(missing.length ? `Still missing: ${missing.join(', ')}.` : 'Settings saved for this tab.');
  });
}

// ---------------------------------------------------------------- sign-in

function wireSignIn() {
  $('signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    showError('signin-error', null);
    notice('');
    const missing = missingFields(effectiveConfig());
    if (missing.length) {
      showError('signin-error', `Missing settings: ${missing.join(', ')}. Open Credential to set them.`);
      return;
    }
    await busy($('signin-submit'), async () => {
      try {
        const result = await auth.signIn($('signin-username').value.trim(), $('signin-password').value);
        $('signin-password').value = '';
        if (result.challenge === 'NEW_PASSWORD_REQUIRED') {
          $('signin-form').hidden = true;
          $('newpassword-form').hidden = false;
          $('newpassword-password').focus();
        } else {
          afterSignIn();
        }
      } catch (err) {
        showError('signin-error', err);
      }
    });
  });

  $('newpassword-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    showError('signin-error', null);
    const password = $('newpassword-password').value;
    if (password !== $('newpassword-confirm').value) {
      showError('signin-error', 'The two new passwords differ.');
      return;
    }
    await busy($('newpassword-submit'), async () => {
      try {
        await auth.completeNewPassword(password);
        resetSignInForms();
        afterSignIn();
      } catch (err) {
        showError('signin-error', err);
      }
    });
  });

  $('newpassword-cancel').addEventListener('click', () => {
    auth.cancelChallenge();
    resetSignInForms();
  });

  $('signout-button').addEventListener('click', async () => {
    await auth.signOut();
    clearViews();
    notice('Signed out.');
  });
}

function resetSignInForms() {
  $('newpassword-password').value = '';
  $('newpassword-confirm').value = '';
  $('newpassword-form').hidden = true;
  $('signin-form').hidden = false;
}

function afterSignIn() {
  notice('');
  selectTab('invoke-panel');
  render();
  refreshBudget(api);
}

function clearViews() {
  $('invoke-result').hidden = true;
  $('answer').replaceChildren();
  $('asked').replaceChildren();
  $('prompt').value = '';
  $('usage-table').tBodies[0].replaceChildren();
  $('usage-chart').replaceChildren();
  $('report-table').tBodies[0].replaceChildren();
  $('tenant-totals').tBodies[0].replaceChildren();
  $('statements-table').tBodies[0].replaceChildren();
  $('report-chart').replaceChildren();
  $('aggregate-result').hidden = true;
  $('report-csv').disabled = true;
  state.reportRows = [];
  state.reportRange = null;
  state.usageRows = null;
  for (const id of ['invoke-error', 'usage-error', 'report-error', 'aggregate-error']) showError(id, null);
  for (const id of ['usage-progress', 'report-progress']) $(id).hidden = true;
}

// ---------------------------------------------------------------- invoke

async function loadModels() {
  const select = $('model-select');
  try {
    const response = await fetch('models.json', { cache: 'no-cache' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const models = await response.json();
    if (!Array.isArray(models) || !models.length) throw new Error('empty list');
    state.models = models.filter((m) => m && m.model_id).map((m) => ({
      model_id: String(m.model_id), kind: m.kind === 'embedding' ? 'embedding' : 'text', label: String(m.label || m.model_id),
      legacy: m.status === 'legacy',
    }));
  } catch {
    state.models = [];
  }
  select.replaceChildren();
  if (!state.models.length) {
    // No catalog published next to the page: let the user type a model id.
    select.hidden = true;
    select.required = false;
    $('model-input').hidden = false;
    $('model-input').required = true;
    return;
  }
  for (const kind of ['text', 'embedding']) {
    const group = document.createElement('optgroup');
    group.label = kind === 'text' ? 'Text generation' : 'Embeddings';
    for (const m of state.models.filter((x) => x.kind === kind)) {
      const option = document.createElement('option');
      option.value = m.model_id;
      // legacy: still served by Bedrock, to be retired (the build leaves out models past end of life)
      option.textContent = `${m.label}${m.legacy ? ' (legacy)' : ''} — ${m.model_id}`;
      if (m.legacy) option.dataset.legacy = 'true';
      option.dataset.kind = m.kind;
      group.append(option);
    }
    if (group.children.length) select.append(group);
  }
  updateParamVisibility();
}

function selectedModel() {
  if (!$('model-input').hidden) {
    const id = $('model-input').value.trim();
    return { model_id: id, kind: /embed/i.test(id) ? 'embedding' : 'text' };
  }
  const id = $('model-select').value;
  return state.models.find((m) => m.model_id === id) || { model_id: id, kind: 'text' };
}

function updateParamVisibility() {
  $('text-params').disabled = selectedModel().kind === 'embedding';
}

function numberParam(id, name, { integer = false } = {}) {
  const raw = $(id).value.trim();
  if (raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be ${integer ? 'a whole number' : 'a number'}.`);
  }
  return value;
}

function wireInvoke() {
  $('model-select').addEventListener('change', updateParamVisibility);
  $('invoke-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    showError('invoke-error', null);
    const model = selectedModel();
    const prompt = $('prompt').value;
    let parameters = {};
    try {
      if (!model.model_id) throw new Error('Choose a model.');
      if (!prompt.trim()) throw new Error('Write a prompt.');
      if (model.kind === 'text') {
        parameters = {
          maxTokenCount: numberParam('param-max-tokens', 'maxTokenCount', { integer: true }),
          temperature: numberParam('param-temperature', 'temperature'),
          topP: numberParam('param-top-p', 'topP'),
        };
        for (const k of Object.keys(parameters)) if (parameters[k] === undefined) delete parameters[k];
      }
    } catch (err) {
      showError('invoke-error', err);
      return;
    }
    await busy($('invoke-submit'), async () => {
      const started = performance.now();
      try {
        const data = await api.invoke(model.model_id, prompt, parameters);
        showInvokeResult(model, prompt, data, performance.now() - started);
      } catch (err) {
        showError('invoke-error', err);
      }
      refreshBudget(api); // the bar follows every call, accepted or refused (402/429)
    });
  });
}

function showInvokeResult(model, prompt, data, elapsedMs) {
  const first = Array.isArray(data) ? data[0] : data;
  if (!first || typeof first !== 'object') {
    showError('invoke-error', 'The API answered without a result.');
    return;
  }
  $('asked').textContent = prompt;
  const answer = $('answer');
  if (Array.isArray(first.embedding)) {
    const head = first.embedding.slice(0, 8).map((v) => Number(v).toFixed(4)).join(', ');
    answer.textContent = `Embedding with ${first.embedding.length} dimensions: [${head}${first.embedding.length > 8 ? ', …' : ''}]`;
  } else {
    answer.textContent = String(first.generated_text ?? first.text ?? '');
  }
  const usage = first.usage || {};
  setText('call-model', model.model_id);
  setText('call-input-tokens', usage.input_tokens ?? '—');
  setText('call-output-tokens', usage.output_tokens ?? '—');
  setText('call-cache-read', usage.cache_read_input_tokens ?? 0);
  setText('call-cache-write', usage.cache_write_input_tokens ?? 0);
  setText('call-cost', usage.cost === null || usage.cost === undefined ? 'not priced' : formatDecimalString(usage.cost));
  setText('call-latency', `${Math.round(elapsedMs)} ms`);
  $('invoke-result').hidden = false;
}

// ---------------------------------------------------------------- tenant usage

function checkRange(start, end) {
  if (!start || !end) throw new Error('Choose both dates.');
  if (start > end) throw new Error('The start date is after the end date.');
}

function wireUsage() {
  $('usage-start').value = daysAgo(6);
  $('usage-end').value = daysAgo(0);
  $('usage-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    showError('usage-error', null);
    const start = $('usage-start').value;
    const end = $('usage-end').value;
    try {
      checkRange(start, end);
    } catch (err) {
      showError('usage-error', err);
      return;
    }
    await busy($('usage-load'), async () => {
      try {
        const own = tenantOf(claims() || {});
        // An admin's answer covers every tenant; this view is about the signed-in tenant only.
        const fetched = await loadAllPages('usage-progress', start, end, own);
        const rows = sortRows(fetched.map(normalizeRow).filter((r) => r.tenant === own));
        state.usageRows = rows;
        renderUsage(rows);
      } catch (err) {
        showError('usage-error', err);
      }
    });
  });
  $('usage-metric').addEventListener('change', () => renderUsage(state.usageRows || []));
  $('tab-usage').addEventListener('click', () => {
    if (!state.usageRows) $('usage-form').requestSubmit();
  });
}

function renderUsage(rows) {
  const body = $('usage-table').tBodies[0];
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement('tr');
    tr.dataset.date = r.date;
    tr.dataset.model = r.model_id;
    tr.append(
      cell(r.date, 'nowrap'), cell(r.model_id, 'model'), cell(integerText(r.invocations), 'num'),
      cell(integerText(r.input_tokens), 'num'), cell(integerText(r.output_tokens), 'num'),
      cell(cacheText(r), 'num'),
      cell(r.unpriced ? `${costText(r.total_cost)} (unpriced)` : costText(r.total_cost), 'num'),
    );
    body.append(tr);
  }
  if (!rows.length) {
    const tr = document.createElement('tr');
    const td = cell('No usage in this range yet.');
    td.colSpan = 7;
    tr.append(td);
    body.append(tr);
  }
  const t = totals(rows);
  setText('usage-total-invocations', integerText(t.invocations));
  setText('usage-total-input', integerText(t.input_tokens));
  setText('usage-total-output', integerText(t.output_tokens));
  setText('usage-total-cache', cacheText(t));
  setText('usage-total-cost', costText(t.total_cost));
  const metric = $('usage-metric').value;
  const valueOf = metric === 'tokens' ? (r) => add(r.input_tokens, r.output_tokens) : (r) => r.total_cost;
  renderStackedBars($('usage-chart'), pivot(rows, (r) => r.model_id, valueOf), {
    unit: metric === 'tokens' ? 'tokens' : 'US$',
  });
}

// ---------------------------------------------------------------- admin

function wireAdmin() {
  $('aggregate-start').value = daysAgo(0);
  $('aggregate-end').value = daysAgo(0);
  $('report-start').value = daysAgo(6);
  $('report-end').value = daysAgo(0);

  const modeChanged = () => {
    const range = $('aggregate-mode-range').checked;
    $('aggregate-end-wrap').hidden = !range;
    $('aggregate-end').required = range;
    setText('aggregate-start-label', range ? 'From' : 'Date');
  };
  $('aggregate-mode-day').addEventListener('change', modeChanged);
  $('aggregate-mode-range').addEventListener('change', modeChanged);

  $('aggregate-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    showError('aggregate-error', null);
    $('aggregate-result').hidden = true;
    const start = $('aggregate-start').value;
    let body;
    try {
      if ($('aggregate-mode-range').checked) {
        const end = $('aggregate-end').value;
        checkRange(start, end);
        body = start === end ? { date: start } : { start_date: start, end_date: end };
      } else {
        if (!start) throw new Error('Choose a date.');
        body = { date: start };
      }
    } catch (err) {
      showError('aggregate-error', err);
      return;
    }
    await busy($('aggregate-submit'), async () => {
      try {
        let result = await api.aggregate(body);
        // A range too long for one request runs on its own: show its progress until it ends.
        for (let polls = 0; result?.run_id && result.status === 'running'; polls += 1) {
          const days = Array.isArray(result.dates) ? ` (${result.dates.length} days)` : '';
          setText('aggregate-message', `Run ${result.run_id}${days} is running… ${polls * 3} s`);
          await new Promise((resolve) => setTimeout(resolve, 3000));
          result = { ...result, ...(await api.aggregateStatus(result.run_id)) };
        }
        if (result?.run_id) {
          if (result.status === 'failed') throw new Error(`Run ${result.run_id} failed: ${result.error || 'no reason given'}`);
          // the same final answer as a run that fitted in the request
          result = { body: 'Calculation Finished!', summary: { run_id: result.run_id, ...result.summary } };
        }
        showAggregateResult(result);
        if (state.reportRange) await loadReport();
      } catch (err) {
        showError('aggregate-error', err);
      }
    });
  });

  $('report-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    await busy($('report-load'), loadReport);
  });
  $('report-tenant').addEventListener('input', () => renderReport());
  $('report-csv').addEventListener('click', downloadCsv);
}

function summaryText(value) {
  if (Array.isArray(value)) return value.length ? value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ') : '—';
  if (value && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function showAggregateResult(result) {
  const message = result && typeof result === 'object' ? result.body ?? result.message ?? 'Done.' : String(result);
  setText('aggregate-message', typeof message === 'string' ? message : JSON.stringify(message));
  const body = $('aggregate-summary').tBodies[0];
  body.replaceChildren();
  const addRow = (key, value) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.textContent = key.replace(/_/g, ' ');
    tr.append(th, cell(summaryText(value)));
    body.append(tr);
  };
  if (result && typeof result === 'object') {
    for (const [key, value] of Object.entries(result)) {
      if (key === 'body') continue;
      // One level of nesting ({"summary": {...}}) is spread into rows of its own.
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        for (const [inner, innerValue] of Object.entries(value)) addRow(inner, innerValue);
      } else {
        addRow(key, value);
      }
    }
  }
  $('aggregate-result').hidden = false;
}

async function loadReport() {
  showError('report-error', null);
  const start = $('report-start').value;
  const end = $('report-end').value;
  try {
    checkRange(start, end);
    const rows = sortRows((await loadAllPages('report-progress', start, end)).map(normalizeRow));
    state.reportRows = rows;
    state.reportRange = { start, end };
    renderReport();
  } catch (err) {
    showError('report-error', err);
  }
}

function filteredReportRows() {
  const wanted = $('report-tenant').value.trim().toLowerCase();
  return wanted ? state.reportRows.filter((r) => r.tenant.toLowerCase().includes(wanted)) : state.reportRows;
}

function renderReport() {
  if (!state.reportRange) return;
  const rows = filteredReportRows();
  const body = $('report-table').tBodies[0];
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement('tr');
    tr.dataset.tenant = r.tenant;
    tr.dataset.date = r.date;
    tr.dataset.model = r.model_id;
    tr.append(
      cell(r.date, 'nowrap'), cell(r.tenant, 'nowrap'), cell(r.model_id, 'model'), cell(integerText(r.invocations), 'num'),
      cell(integerText(r.input_tokens), 'num'), cell(integerText(r.output_tokens), 'num'),
      cell(cacheText(r), 'num'), cell(costText(r.input_cost), 'num'), cell(costText(r.output_cost), 'num'),
      cell(r.unpriced ? `${costText(r.total_cost)} (unpriced)` : costText(r.total_cost), 'num total-cost'),
    );
    body.append(tr);
  }
  if (!rows.length) {
    const tr = document.createElement('tr');
    const td = cell('No aggregated usage in this range. Run "Aggregate now" first if today is missing.');
    td.colSpan = 10;
    tr.append(td);
    body.append(tr);
  }

  const totalsBody = $('tenant-totals').tBodies[0];
  totalsBody.replaceChildren();
  for (const [tenant, tenantRows] of [...groupBy(rows, (r) => r.tenant)].sort((a, b) => a[0].localeCompare(b[0]))) {
    const t = totals(tenantRows);
    const tr = document.createElement('tr');
    tr.dataset.tenant = tenant;
    tr.append(
      cell(tenant), cell(integerText(t.invocations), 'num'), cell(integerText(t.input_tokens), 'num'),
      cell(integerText(t.output_tokens), 'num'), cell(costText(t.total_cost), 'num total-cost'),
    );
    totalsBody.append(tr);
  }
  const g = totals(rows);
  setText('grand-invocations', integerText(g.invocations));
  setText('grand-input', integerText(g.input_tokens));
  setText('grand-output', integerText(g.output_tokens));
  setText('grand-cost', costText(g.total_cost));
  renderStackedBars($('report-chart'), pivot(rows, (r) => r.tenant, (r) => r.total_cost), { unit: 'US$' });
  $('report-csv').disabled = rows.length === 0;
}

function downloadCsv() {
  const rows = filteredReportRows();
  const blob = new Blob([toCsv(rows)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `token-usage_${state.reportRange.start}_${state.reportRange.end}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------------------------------------------------------------- start

function wireTabs() {
  for (const tab of document.querySelectorAll('.tabs [role=tab]')) {
    tab.addEventListener('click', () => selectTab(tab.dataset.panel));
  }
}

async function start() {
  wireCredential();
  wireSignIn();
  wireTabs();
  wireInvoke();
  wireUsage();
  wireAdmin();
  wirePlans(api, busy);
  $('tab-admin').addEventListener('click', () => loadTenants(api));
  wireStatements(api, busy, isAdmin);
  $('tab-statements').addEventListener('click', () => loadStatements(api, busy, isAdmin()));
  wireTenants(api, busy);
  $('tab-admin').addEventListener('click', () => loadTenantList(api));
  await loadModels();
  if (auth.signedIn) {
    if (auth.secondsLeft() < 30) {
      await auth.refresh().catch(() => {});
    } else {
      auth.schedule();
    }
  }
  render();
  if (auth.signedIn) refreshBudget(api);
  const missing = missingFields(effectiveConfig());
  if (missing.length && !auth.signedIn) {
    notice(`This console has no ${missing.join(', ')} yet: open Credential to set them.`);
  }
  document.body.dataset.ready = 'true';
}

start();
