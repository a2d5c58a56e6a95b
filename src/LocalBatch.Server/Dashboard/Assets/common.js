// Shared by the dashboard's pages: the data requests, and how numbers, times and progress are shown.
'use strict';
const dashboard = (() => {
  const root = document.body.dataset.root;

  /** Reads JSON from the dashboard's data routes; a lost session goes back to the login page. */
  async function api(path, method = 'GET') {
    const headers = { Accept: 'application/json' };
    if (method !== 'GET') headers['X-LocalBatch-Dashboard'] = '1';
    const response = await fetch(root + '/api' + path, { method, headers, credentials: 'same-origin', cache: 'no-store' });
    if (response.status === 401) {
      location.assign(root + '/login');
      throw new Error('Your session has ended.');
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
    return body;
  }

  const number = new Intl.NumberFormat();
  const fmtNumber = (n) => (n == null ? '—' : number.format(n));
  const fmtRate = (r) => (r == null ? '—' : `${r.toFixed(r < 10 ? 2 : 1)}/s`);
  const fmtTime = (s) => (s == null ? '—' : new Date(s * 1000).toLocaleString());
  function fmtDuration(seconds) {
    if (seconds == null) return '—';
    const s = Math.round(seconds);
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  }

  /** A progress bar: completed and failed parts of the total, with the counts as text beside it. */
  function progressBar(batch) {
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', String(batch.total));
    bar.setAttribute('aria-valuenow', String(batch.completed + batch.failed));
    const text = `${fmtNumber(batch.completed)} completed, ${fmtNumber(batch.failed)} failed of ${fmtNumber(batch.total)}`;
    bar.setAttribute('aria-valuetext', text);
    bar.title = text;
    for (const [part, count] of [['ok', batch.completed], ['bad', batch.failed]]) {
      const span = document.createElement('span');
      span.className = part;
      span.style.width = batch.total > 0 ? `${(100 * count) / batch.total}%` : '0';
      bar.append(span);
    }
    const label = document.createElement('span');
    label.className = 'counts';
    label.textContent = `${batch.completed} / ${batch.failed} / ${batch.total}`;
    const wrap = document.createElement('div');
    wrap.className = 'progress';
    wrap.append(bar, label);
    return wrap;
  }

  function cell(row, label, content, className) {
    const td = document.createElement('td');
    td.dataset.label = label;
    if (className) td.className = className;
    if (content instanceof Node) td.append(content); else td.textContent = content;
    row.append(td);
    return td;
  }

  function statusBadge(status) {
    const span = document.createElement('span');
    span.className = `badge ${status}`;
    span.textContent = status.replace('_', ' ');
    return span;
  }

  /** Calls refresh now and then every interval, never two at once, showing its error until the next success. */
  function poll(refresh, interval) {
    const error = document.getElementById('error');
    const tick = async () => {
      try {
        await refresh();
        error.textContent = '';
      } catch (e) {
        error.textContent = e.message;
      }
      setTimeout(tick, interval);
    };
    tick();
  }

  return { root, api, fmtNumber, fmtRate, fmtTime, fmtDuration, progressBar, cell, statusBadge, poll };
})();
