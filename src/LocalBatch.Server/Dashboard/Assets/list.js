// The batches page: the caller's batches, newest first, refreshed every two seconds, filtered by status.
'use strict';
(() => {
  const d = dashboard;
  const body = document.querySelector('#batches tbody');
  const filter = document.getElementById('status-filter');
  const more = document.getElementById('more');
  let first = [];
  let older = [];
  let next = null;
  const rows = new Map();

  // Rows are updated in place and moved only when the order changes: a focused link keeps its focus.
  function render() {
    const wanted = filter.value;
    const shown = [...first, ...older].filter((b) => !wanted || b.status === wanted).map(row);
    if (shown.length !== body.children.length || shown.some((tr, i) => body.children[i] !== tr)) body.replaceChildren(...shown);
    document.getElementById('empty').hidden = shown.length > 0;
    more.hidden = next == null;
  }

  function row(b) {
    let tr = rows.get(b.id);
    if (!tr) {
      tr = document.createElement('tr');
      tr.dataset.id = b.id;
      const link = document.createElement('a');
      link.href = `${d.root}/batches/${encodeURIComponent(b.id)}`;
      link.textContent = b.id;
      d.cell(tr, 'Batch', link, 'id');
      rows.set(b.id, tr);
    }
    while (tr.children.length > 1) tr.lastChild.remove();
    tr.dataset.status = b.status;
    d.cell(tr, 'Input file', b.input_file_name);
    d.cell(tr, 'Endpoint', b.endpoint);
    d.cell(tr, 'Status', d.statusBadge(b.status), 'status');
    d.cell(tr, 'Progress', d.progressBar(b), 'progress-cell');
    d.cell(tr, 'Rate', d.fmtRate(b.requests_per_second));
    d.cell(tr, 'ETA', d.fmtDuration(b.eta_seconds));
    d.cell(tr, 'Tokens', d.fmtNumber(b.tokens));
    d.cell(tr, 'Created', d.fmtTime(b.created_at));
    d.cell(tr, 'Ended', d.fmtTime(b.ended_at));
    if (b.waiting) tr.title = b.waiting;
    return tr;
  }

  async function refresh() {
    const page = await d.api('/batches?limit=100');
    first = page.data;
    if (older.length === 0) next = page.has_more ? page.last_id : null;
    const seen = new Set(first.map((b) => b.id));
    older = older.filter((b) => !seen.has(b.id));
    render();
    document.getElementById('updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;
  }

  more.addEventListener('click', async () => {
    const page = await d.api(`/batches?limit=100&after=${encodeURIComponent(next)}`);
    older.push(...page.data);
    next = page.has_more ? page.last_id : null;
    render();
  });
  filter.addEventListener('change', render);
  d.poll(refresh, 2000);
})();
