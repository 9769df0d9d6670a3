// The reconciler's console (docs/console.md): one page, hash routes, everything read from and done through the JSON
// API (docs/api.md) with the API's own access rules. No framework, no build step. Every value from the API is put on
// the page as text (textContent), never as HTML.
'use strict';
(function () {
  const TOKEN_KEY = 'reconciler.token';   // sessionStorage: this tab only
  const NAME_KEY = 'reconciler.name';     // localStorage: who acts, remembered
  const STATUS_EVERY_MS = 5000;
  const PAGE_SIZE = 50;
  const MAX_REQUESTS_PER_PAGE = 20;       // each request reads at most 10,000 stored discrepancies
  const MAX_REQUESTS_KEY_SEARCH = 120;    // a key search looks for one order: read on (about 13 s per million)
  const STALE_AFTER_MS = 15000;           // no answer for this long: the page says its numbers are old

  const $ = (id) => document.getElementById(id);
  const main = $('main');

  const state = {
    status: null, statusAt: 0, statusError: null, lastTry: 0,
    ages: null, agesAt: 0,
    route: null, renderSeq: 0,
    listStack: [],
  };

  // ------------------------------------------------------------------ DOM helpers (text only, never HTML)

  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
        else if (k === 'dataset') Object.assign(el.dataset, v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const kid of kids.flat()) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }

  function pill(text, kind, title) {
    return h('span', { class: 'pill ' + (kind || 'muted'), title: title || null, text: text });
  }

  function kv(pairs) {
    const dl = h('dl', { class: 'kv' });
    for (const [k, v] of pairs) {
      if (v === undefined) continue;
      dl.append(h('dt', { text: k }), h('dd', null, v === null ? '—' : v));
    }
    return dl;
  }

  function table(headers, rows, opts) {
    const t = h('table', opts && opts.id ? { id: opts.id } : null);
    t.append(h('thead', null, h('tr', null, headers.map((x) => {
      const [text, cls] = Array.isArray(x) ? x : [x, null];
      return h('th', { class: cls, scope: 'col', text: text });
    }))));
    const body = h('tbody');
    rows.forEach((r) => body.append(r));
    t.append(body);
    return h('div', { class: 'scroll' }, t);
  }

  // ------------------------------------------------------------------ time

  function parseTime(t) { return t ? Date.parse(t) : NaN; }

  function utc(t) {
    if (!t) return '—';
    const d = new Date(t);
    if (isNaN(d)) return String(t);
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  function span(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return '—';
    const s = Math.abs(seconds);
    if (s < 1) return seconds.toFixed(1) + ' s';
    if (s < 90) return Math.round(seconds) + ' s';
    if (s < 5400) return Math.round(seconds / 60) + ' min';
    if (s < 172800) return (seconds / 3600).toFixed(1) + ' h';
    return (seconds / 86400).toFixed(1) + ' d';
  }

  function ago(t) {
    const ms = parseTime(t);
    if (isNaN(ms)) return '—';
    const s = (Date.now() - ms) / 1000;
    if (s < 1 && s > -5) return 'just now';   // the browser's clock may be a little behind the server's
    return s < 0 ? 'in ' + span(-s) : span(s) + ' ago';
  }

  function when(t) {
    if (!t) return h('span', { class: 'muted', text: '—' });
    return h('time', { datetime: t, title: utc(t) }, utc(t), h('span', { class: 'muted', text: ' (' + ago(t) + ')' }));
  }

  // ------------------------------------------------------------------ API

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  async function api(path, opts) {
    opts = opts || {};
    const headers = { Accept: 'application/json' };
    const t = token();
    if (t) headers.Authorization = 'Bearer ' + t;
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    let r;
    try {
      r = await fetch(path, {
        method: opts.method || 'GET', headers: headers, cache: 'no-store', credentials: 'omit',
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
    } catch (e) {
      const err = new Error('no answer from the reconciler (' + e.message + ')');
      err.status = 0;
      throw err;
    }
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (!r.ok) {
      const err = new Error((data && data.error) || ('HTTP ' + r.status));
      err.status = r.status;
      err.fix = data && data.fix;
      throw err;
    }
    return data;
  }

  function errorBox(e, what) {
    const box = h('div', { class: 'banner bad' }, h('strong', { text: what + ':' }), e.message);
    if (e.fix) box.append(h('div', { class: 'muted', text: 'Fix: ' + e.fix }));
    if (e.status === 401) {
      box.append(' ', h('button', { type: 'button', class: 'link', text: 'Enter the API token', onclick: openTokenDialog }));
    }
    return box;
  }

  // ------------------------------------------------------------------ status, banners and freshness

  async function refreshStatus() {
    state.lastTry = Date.now();
    try {
      state.status = await api('/api/status');
      state.statusAt = Date.now();
      state.statusError = null;
    } catch (e) {
      state.statusError = e;
    }
    renderBanners();
    renderFresh();
    if (state.route && state.route.name === 'overview') renderOverview(false);
  }

  async function refreshAges() {
    try {
      state.ages = await api('/api/discrepancies/ages');
      state.agesAt = Date.now();
    } catch (e) {
      state.ages = null;
    }
  }

  function renderFresh() {
    const el = $('fresh');
    if (!state.statusAt) {
      el.textContent = state.statusError ? 'no answer from the reconciler' : 'connecting…';
      el.className = 'fresh' + (state.statusError ? ' stale' : '');
      return;
    }
    const age = Date.now() - state.statusAt;
    el.className = 'fresh' + (age > STALE_AFTER_MS ? ' stale' : '');
    el.textContent = age > STALE_AFTER_MS
      ? 'NOT UPDATING: last answer ' + span(age / 1000) + ' ago'
      : 'live · updated ' + new Date(state.statusAt).toISOString().substring(11, 19) + 'Z';
  }

  // Whatever the reconciler is not checking right now is said here, on every page.
  function renderBanners() {
    const box = $('banners');
    box.replaceChildren();
    const add = (kind, title, text, link) => {
      const b = h('div', { class: 'banner ' + kind, dataset: { banner: kind } }, h('strong', { text: title }), text);
      if (link) b.append(' ', link);
      box.append(b);
    };
    if (state.statusError) {
      if (state.statusError.status === 401) {
        add('warn', 'Sign in to read.', ' This reconciler protects its reads: enter the API token.',
          h('button', { type: 'button', class: 'link', text: 'Enter token', onclick: openTokenDialog }));
      } else {
        add('bad', 'The console cannot reach the reconciler:', ' ' + state.statusError.message
          + (state.statusAt ? '. Everything shown is as of ' + utc(new Date(state.statusAt).toISOString()) + '.'
            : '.'));
      }
    }
    const s = state.status;
    if (!s) return;
    if (!s.stateOpen) add('bad', 'State store unavailable.', ' The reconciler cannot read its state.');
    if (s.stateUnwritable) {
      add('bad', 'Ingestion stopped:', ' the state store takes no writes (' + s.stateUnwritable.reason + ') since '
        + utc(s.stateUnwritable.since) + '. ' + s.stateUnwritable.message);
    }
    const engineAge = (Date.now() - parseTime(s.engineNumbersAt)) / 1000;
    if (engineAge > 30) {
      add('bad', 'Engine numbers are ' + span(engineAge) + ' old.', ' The engine has not published since '
        + utc(s.engineNumbersAt) + ': it may be wedged or working through a long batch.');
    }
    for (const src of s.sources || []) {
      if (src.stalled) {
        add('bad', 'Source ' + src.name + ' is stalled.', ' Its watermark stands at ' + utc(src.watermark)
          + ' (' + ago(src.watermark) + '): rows of the other side wait rather than being reported missing, and '
          + 'nothing after that point is checked.' + (src.state ? ' ' + src.state : ''));
      } else if (src.phase && src.phase !== 'STREAMING') {
        add(src.phase === 'SNAPSHOT' || src.phase === 'STARTING' ? 'warn' : 'bad',
          'Source ' + src.name + ' is ' + src.phase + '.',
          ' ' + sentence(stripPhase(src.state, src.phase)) + (src.lastError ? ' Last error: ' + sentence(src.lastError) : '')
          + ' Rows committed after its watermark ' + utc(src.watermark) + ' are not checked yet.');
      }
    }
    for (const r of s.rules || []) {
      if (r.state === 'paused') {
        const p = (r.paused || []).map((x) => x.side + ' ' + x.source + '.' + x.table + ' lacks column ' + x.column
          + ' since ' + utc(x.since)).join('; ');
        add('bad', 'Rule ' + r.name + ' is paused:', ' ' + p + '. Its rows are held, not judged; reconciled-until '
          + 'stands at ' + utc(r.reconciledUntil) + '.');
      } else if (!r.reconciledUntil) {
        add('warn', 'Rule ' + r.name + ' has not reconciled anything yet:', ' a side has no watermark so far.');
      }
    }
  }

  function stripPhase(text, phase) {
    const t = String(text || '');
    return phase && t.startsWith(phase + ':') ? t.substring(phase.length + 1).trim() : t;
  }

  function sentence(text) {
    const t = String(text || '').trim();
    if (!t) return '';
    return (t.charAt(0).toUpperCase() + t.substring(1)).replace(/([^.!?])$/, '$1.');
  }

  // ------------------------------------------------------------------ overview

  const TYPE_KIND = {
    MISSING_RIGHT: 'bad', MISSING_LEFT: 'bad', QUANTITY_MISMATCH: 'bad', DUPLICATE_LEFT: 'warn',
    DUPLICATE_RIGHT: 'warn', UNOBSERVED_LEFT: 'warn', UNOBSERVED_RIGHT: 'warn', UNREPORTED_INCONSISTENCY: 'bad',
  };

  function listLink(params, text) {
    return h('a', { href: '#/discrepancies?' + new URLSearchParams(params).toString(), text: text });
  }

  async function renderOverview(first) {
    const seq = state.renderSeq;
    if (first) {
      main.replaceChildren(h('h1', { text: 'Overview' }), h('p', { class: 'muted', text: 'Loading…' }));
      if (!state.status) await refreshStatus();
    }
    await refreshAges(true);
    if (seq !== state.renderSeq) return;   // the user went elsewhere meanwhile
    const s = state.status;
    if (!s) {
      main.replaceChildren(h('h1', { text: 'Overview' }),
        state.statusError ? errorBox(state.statusError, 'Cannot read the status') : h('p', { text: 'Loading…' }));
      return;
    }
    const ages = {};
    if (state.ages) for (const r of state.ages.rules) ages[r.rule] = r;
    const out = [h('h1', null, 'Overview ', h('span', { class: 'muted', text: 'reconciler ' + s.version
      + ' · up ' + span(s.uptimeSeconds) })), h('h2', { text: 'Rules' })];
    const cards = h('div', { class: 'cards', id: 'rules' });
    for (const r of s.rules || []) cards.append(ruleCard(r, ages[r.name]));
    out.push(cards);
    if (state.ages && !state.ages.complete) {
      out.push(h('p', { class: 'muted', text: 'Ages from the first ' + state.ages.scanned.toLocaleString()
        + ' stored discrepancies (the scan is bounded); the open counts are exact.' }));
    }
    out.push(h('h2', { text: 'Sources' }), sourcesTable(s.sources || []));
    main.replaceChildren(...out);
  }

  function ruleCard(r, ages) {
    const open = r.open || {};
    const total = Object.values(open).reduce((a, b) => a + b, 0);
    const lag = r.reconciledUntil ? (Date.now() - parseTime(r.reconciledUntil)) / 1000 : null;
    const card = h('section', { class: 'card', dataset: { rule: r.name } });
    card.append(h('h2', null, r.name, r.state === 'paused' ? pill('paused', 'bad') : pill('running', 'ok')));
    const waived = Object.values(r.waived || {}).reduce((a, b) => a + b, 0);
    card.append(h('div', null, h('span', { class: 'big', dataset: { openTotal: r.name }, text: String(total) }),
      ' open ', total > 0 ? listLink({ rule: r.name, status: 'open' }, 'list them') : null,
      waived > 0 ? h('span', { class: 'muted' }, ' · ', listLink({ rule: r.name, status: 'waived' }, waived + ' waived'),
        ' (not counted as open)') : null));
    const buckets = state.ages ? ['< 5m', '5m–1h', '1h–24h', '> 24h'] : [];
    const rows = [];
    for (const [type, n] of Object.entries(open)) {
      const a = ages && ages.types && ages.types[type];
      if (!n && !a) continue;
      rows.push(h('tr', null,
        h('td', null, listLink({ rule: r.name, type: type, status: 'open' }, type)),
        h('td', { class: 'num', text: String(n) }),
        buckets.map((b, i) => h('td', { class: 'num hide-narrow', text: a ? String(a[i]) : '0' }))));
    }
    if (rows.length) {
      card.append(table([['type'], ['open', 'num'], ...buckets.map((b) => [b, 'num hide-narrow'])], rows));
    } else {
      card.append(h('p', { class: 'muted', text: 'Nothing open.' }));
    }
    const mpm = r.matchesCountedSeconds < 60
      ? r.matchesPerMinute + ' (over the ' + r.matchesCountedSeconds + ' s since start)'
      : String(r.matchesPerMinute);
    card.append(kv([
      ['reconciled until', r.reconciledUntil ? h('span', null, when(r.reconciledUntil)) : 'not yet (a side has no watermark)'],
      ['matches / min', mpm],
      ['pending', 'left ' + (r.pending.left || 0) + ' · right ' + (r.pending.right || 0)],
      ['watermarks', h('span', null, 'left ', when(r.watermarks.left), h('br'), 'right ', when(r.watermarks.right))],
      ['oldest open', ages && ages.oldest ? h('a', { href: '#/discrepancies/' + ages.oldestId }, utc(ages.oldest)
        + ' (' + ago(ages.oldest) + ')') : null],
    ]));
    if (lag !== null && lag > 300) card.append(h('p', { class: 'problem', text: 'Reconciled-until is ' + span(lag) + ' behind.' }));
    return card;
  }

  function sourceKind(src) {
    if (src.stalled) return 'bad';
    if (!src.phase) return 'muted';
    if (src.phase === 'STREAMING') return 'ok';
    return src.phase === 'SNAPSHOT' || src.phase === 'STARTING' ? 'warn' : 'bad';
  }

  function sourcesTable(sources) {
    const rows = sources.map((src) => h('tr', { dataset: { source: src.name } },
      h('td', null, h('strong', { text: src.name }), h('div', { class: 'muted', text: src.flavour || '' })),
      h('td', null, pill(src.stalled ? 'STALLED' : (src.phase || 'unknown'), sourceKind(src)),
        src.state && src.state !== src.phase ? h('div', { class: 'muted', text: stripPhase(src.state, src.phase) }) : null),
      h('td', { class: 'num', text: src.lagSeconds === null || src.lagSeconds === undefined ? '—' : span(src.lagSeconds) }),
      h('td', null, when(src.watermark)),
      h('td', null, when(src.lastCommit)),
      h('td', { class: 'hide-narrow' }, src.lastError ? h('span', { class: 'problem', text: src.lastError }) : '—')));
    return table(['source', 'state', ['lag', 'num'], 'watermark', 'last event', ['last error', 'hide-narrow']], rows,
      { id: 'sources' });
  }

  // ------------------------------------------------------------------ discrepancy list

  const AGES = [['', 'any age'], ['min:5m', 'open over 5 min'], ['min:1h', 'over 1 hour'], ['min:24h', 'over 24 hours'],
    ['max:15m', 'last 15 min'], ['max:1h', 'last hour'], ['max:24h', 'last 24 hours']];
  const STATUSES = ['open', 'acknowledged', 'waived', 'resolved', 'all'];
  const TYPES = ['MISSING_RIGHT', 'MISSING_LEFT', 'QUANTITY_MISMATCH', 'DUPLICATE_LEFT', 'DUPLICATE_RIGHT',
    'UNOBSERVED_LEFT', 'UNOBSERVED_RIGHT', 'UNREPORTED_INCONSISTENCY'];

  function select(name, options, value) {
    return h('select', { name: name, id: 'filter-' + name },
      options.map(([v, t]) => h('option', { value: v, selected: v === value, text: t })));
  }

  async function renderList(params) {
    const seq = state.renderSeq;
    const f = {
      rule: params.get('rule') || '', type: params.get('type') || '', status: params.get('status') || 'open',
      age: params.get('age') || '', key: params.get('key') || '', cursor: params.get('cursor') || '',
      since: params.get('since') || '',   // from a storm alert's link: detected at or after this time
    };
    if (!state.status) await refreshStatus();
    const rules = ((state.status && state.status.rules) || []).map((r) => r.name);
    const form = h('form', { class: 'filters', id: 'filters' },
      h('label', null, 'Rule', select('rule', [['', 'all rules'], ...rules.map((r) => [r, r])], f.rule)),
      h('label', null, 'Type', select('type', [['', 'all types'], ...TYPES.map((t) => [t, t])], f.type)),
      h('label', null, 'Status', select('status', STATUSES.map((x) => [x, x]), f.status)),
      h('label', null, 'Age', select('age', AGES, f.age)),
      h('label', null, 'Key starts with', h('input', { name: 'key', id: 'filter-key', value: f.key, type: 'search',
        placeholder: 'order id, goods id…', autocomplete: 'off', spellcheck: 'false' })),
      h('button', { type: 'submit', class: 'primary', id: 'filter-apply', text: 'Apply' }));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const p = new URLSearchParams();
      for (const k of ['rule', 'type', 'status', 'age', 'key']) {
        const v = form.elements[k].value.trim();
        if (v && !(k === 'status' && v === 'open')) p.set(k, v);
      }
      if (f.since) p.set('since', f.since);
      state.listStack = [];
      location.hash = '#/discrepancies' + (p.toString() ? '?' + p.toString() : '');
    });
    const results = h('div', { id: 'results' }, h('p', { class: 'muted', text: 'Loading…' }));
    const since = f.since ? h('p', { class: 'banner info', id: 'since-filter' }, 'Detected since ' + utc(f.since)
      + ' (the alert\'s window). ', h('button', { type: 'button', class: 'link', text: 'Show all times',
      onclick: () => navigateList(Object.assign({}, f, { since: '' }), '') })) : null;
    main.replaceChildren(...[h('h1', { text: 'Discrepancies' }), form, since, results].filter(Boolean));

    const q = new URLSearchParams();
    if (f.rule) q.set('rule', f.rule);
    if (f.type) q.set('type', f.type);
    q.set('status', f.status);
    if (f.age) {
      const [kind, d] = f.age.split(':');
      q.set(kind === 'min' ? 'minAge' : 'maxAge', d);
    }
    if (f.key) q.set('key', f.key);
    if (f.since) q.set('since', f.since);
    const items = [];
    let next = f.cursor || null;
    let requests = 0;
    try {
      do {
        const p = new URLSearchParams(q);
        p.set('limit', String(PAGE_SIZE - items.length));
        if (next) p.set('cursor', next);
        const page = await api('/api/discrepancies?' + p.toString());
        if (seq !== state.renderSeq) return;
        items.push(...page.items);
        next = page.next;
        requests++;
        if (items.length < PAGE_SIZE && next) {
          results.replaceChildren(h('p', { class: 'muted', text: 'Searching… about '
            + (requests * 10000).toLocaleString() + ' stored discrepancies read, ' + items.length + ' found' }));
        }
      } while (items.length < PAGE_SIZE && next
        && requests < (f.key ? MAX_REQUESTS_KEY_SEARCH : MAX_REQUESTS_PER_PAGE));
    } catch (e) {
      results.replaceChildren(errorBox(e, 'Cannot list discrepancies'));
      return;
    }
    const rows = items.map((d) => h('tr', { class: 'row-link', dataset: { id: d.id },
      onclick: (e) => { if (e.target.tagName !== 'A') location.hash = '#/discrepancies/' + d.id; } },
      h('td', null, h('a', { href: '#/discrepancies/' + d.id, class: 'mono', text: d.id })),
      h('td', { text: d.rule }),
      h('td', null, pill(d.type, TYPE_KIND[d.type])),
      h('td', { class: 'mono', text: keyText(d.key) }),
      h('td', null, statusPill(d)),
      h('td', null, when(d.detectedAt)),
      h('td', { class: 'num hide-narrow', text: d.difference === null || d.difference === undefined ? '' : String(d.difference) }),
      h('td', { class: 'hide-narrow', text: lastNote(d) })));
    const out = [];
    if (rows.length) {
      out.push(table(['id', 'rule', 'type', 'key', 'status', 'detected', ['Δ qty', 'num hide-narrow'],
        ['note', 'hide-narrow']], rows, { id: 'discrepancy-table' }));
    } else {
      out.push(h('p', { id: 'no-results', text: next ? 'None in the part searched so far.' : 'No discrepancy matches these filters.' }));
    }
    const pager = h('div', { class: 'pager' });
    const from = state.listStack.length * PAGE_SIZE;
    pager.append(h('span', { class: 'muted', text: items.length ? 'Showing ' + (from + 1) + '–' + (from + items.length)
      + (next ? ' (more follow)' : ' (end of list)') : '' }));
    if (state.listStack.length) {
      pager.append(h('button', { type: 'button', text: '← Previous', onclick: () => {
        const prev = state.listStack.pop();
        navigateList(f, prev);
      } }));
    }
    if (next) {
      const label = items.length < PAGE_SIZE ? 'Keep searching →' : 'Next →';
      pager.append(h('button', { type: 'button', id: 'next-page', text: label, onclick: () => {
        state.listStack.push(f.cursor);
        navigateList(f, next);
      } }));
    }
    if (items.length < PAGE_SIZE && next) {
      out.push(h('p', { class: 'muted', text: 'Searched about ' + (requests * 10000).toLocaleString()
        + ' stored discrepancies without filling the page; there are more to search.' }));
    }
    out.push(pager, h('p', { class: 'muted', text: 'As of ' + utc(new Date().toISOString()) + '. ' }, h('button', {
      type: 'button', class: 'link', text: 'Refresh', onclick: () => route(true) })));
    results.replaceChildren(...out);
  }

  function navigateList(f, cursor) {
    const p = new URLSearchParams();
    for (const k of ['rule', 'type', 'status', 'age', 'key', 'since']) {
      if (f[k] && !(k === 'status' && f[k] === 'open')) p.set(k, f[k]);
    }
    if (cursor) p.set('cursor', cursor);
    location.hash = '#/discrepancies' + (p.toString() ? '?' + p.toString() : '');
  }

  function keyText(key) {
    return Object.entries(key || {}).map(([k, v]) => k + '=' + v).join(', ');
  }

  function statusPill(d) {
    const s = String(d.status || '').toUpperCase();
    const kind = s === 'OPEN' ? 'bad' : s === 'RESOLVED' ? 'ok' : s === 'WAIVED' ? 'muted' : 'info';
    const label = s === 'OPEN' && d.acknowledged ? 'OPEN · ACKED' : s;
    return pill(label, kind);
  }

  function lastNote(d) {
    if (Array.isArray(d.timeline) && d.timeline.length) {
      const t = d.timeline[d.timeline.length - 1];
      return t.reason ? t.action + ': ' + t.reason : '';
    }
    return d.acknowledged && d.acknowledged.note ? d.acknowledged.note : '';
  }

  // ------------------------------------------------------------------ discrepancy detail

  async function renderDetail(id, notice) {
    const seq = state.renderSeq;
    main.replaceChildren(h('p', { class: 'muted', text: 'Loading…' }));
    let d;
    try {
      d = await api('/api/discrepancies/' + encodeURIComponent(id));
    } catch (e) {
      if (seq === state.renderSeq) {
        main.replaceChildren(h('h1', { text: 'Discrepancy ' + id }), errorBox(e, 'Cannot read it'),
          h('p', null, h('a', { href: '#/discrepancies', text: '← all discrepancies' })));
      }
      return;
    }
    if (!state.status) await refreshStatus();
    const rule = ((state.status && state.status.rules) || []).find((r) => r.name === d.rule);
    const def = rule && rule.definition;
    let pair = null;
    try {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(d.key || {})) p.set('key.' + k, v);
      pair = await api('/api/pairs/' + encodeURIComponent(d.rule) + '?' + p.toString());
    } catch (e) {
      pair = null;   // finished pairs are dropped after the retention; the discrepancy alone still tells the story
    }
    if (seq !== state.renderSeq) return;

    const out = [h('p', null, h('a', { href: '#/discrepancies', text: '← all discrepancies' }))];
    out.push(h('h1', { id: 'detail-title' }, pill(d.type, TYPE_KIND[d.type]), ' ', statusPill(d), ' ',
      h('span', { text: d.rule + ' · ' + keyText(d.key) })));
    if (notice) out.push(h('div', { class: 'notice', id: 'notice', text: notice }));
    out.push(kv([
      ['id', h('span', { class: 'mono', text: d.id })],
      ['rule', d.rule],
      ['key', h('span', { class: 'mono', text: keyText(d.key) })],
      ['occurrence', String(d.occurrence) + (d.occurrence > 1 ? ' (opened again after being resolved)' : '')],
      ['detected', when(d.detectedAt)],
      ['resolved', d.resolvedAt ? h('span', null, when(d.resolvedAt), ' — ' + (d.resolution || '')) : null],
      ['difference', d.difference === null || d.difference === undefined ? undefined
        : String(d.difference) + ' (right − left)'],
    ]));
    out.push(h('h2', { text: 'Decision and why' }), h('div', { class: 'why', id: 'why' }, why(d, def, pair)));
    out.push(actions(d));
    out.push(h('h2', { text: 'Both sides' }), h('div', { class: 'sides' },
      sideCard('Left', def && def.streams && def.streams.left, d.left, def && def.quantity && def.quantity.left, 'left'),
      sideCard('Right', def && def.streams && def.streams.right, d.right, def && def.quantity && def.quantity.right, 'right')));
    if (pair) {
      out.push(h('h2', { text: 'The pair now' }), kv([
        ['matched', pair.matched ? 'yes' : 'no'],
        ['open types', (pair.open || []).join(', ') || 'none'],
        ['left waits until', pair.pendingLeftUntil ? when(pair.pendingLeftUntil) : 'not waiting'],
        ['right waits until', pair.pendingRightUntil ? when(pair.pendingRightUntil) : 'not waiting'],
        ['watermarks', h('span', null, 'left ', when(pair.watermarks && pair.watermarks.left), h('br'), 'right ',
          when(pair.watermarks && pair.watermarks.right))],
        ['last event', when(pair.lastEventTime)],
        ['dropped after', pair.expiresAt ? when(pair.expiresAt) : 'kept while open or pending'],
      ]));
    }
    out.push(h('h2', { text: 'Timeline' }), timeline(d));
    out.push(h('p', { class: 'muted' }, 'As of ' + utc(new Date().toISOString()) + '. ', h('button', { type: 'button',
      class: 'link', id: 'detail-refresh', text: 'Refresh', onclick: () => renderDetail(d.id) }), ' · JSON: ',
      h('a', { href: '/api/discrepancies/' + d.id, text: '/api/discrepancies/' + d.id })));
    main.replaceChildren(...out);
  }

  function total(rows, column) {
    if (!column) return null;
    let sum = 0;
    let any = false;
    for (const r of rows || []) {
      const v = Number(r.columns && r.columns[column]);
      if (!isNaN(v)) { sum += v; any = true; }
    }
    return any ? sum : null;
  }

  function why(d, def, pair) {
    const grace = def ? def.grace : 'grace';
    const skew = def ? def.clockSkew : 'skew';
    const lq = def && def.quantity ? def.quantity.left : null;
    const rq = def && def.quantity ? def.quantity.right : null;
    const left = def && def.streams ? 'left (' + def.streams.left + ')' : 'left';
    const right = def && def.streams ? 'right (' + def.streams.right + ')' : 'right';
    const lines = [];
    switch (d.type) {
      case 'MISSING_RIGHT':
        lines.push('The ' + left + ' side has a row for this key and the ' + right + ' side has none. The engine waited '
          + 'until the right side\'s binlog had been read past the row\'s commit time + grace ' + grace + ' + clock skew '
          + skew + ': a counterpart committed in time would have been seen, so this is an absence, not lag.');
        break;
      case 'MISSING_LEFT':
        lines.push('The ' + right + ' side has a row for this key and the ' + left + ' side has none. The engine waited '
          + 'until the left side\'s binlog had been read past the row\'s commit time + grace ' + grace + ' + clock skew '
          + skew + ': a counterpart committed in time would have been seen, so this is an absence, not lag.');
        break;
      case 'QUANTITY_MISMATCH': {
        const l = total(d.left, lq);
        const r = total(d.right, rq);
        lines.push('Both sides have rows for this key, but the quantities differ: ' + left + ' ' + (lq || 'quantity')
          + ' = ' + (l === null ? '?' : l) + ', ' + right + ' ' + (rq || 'quantity') + ' = ' + (r === null ? '?' : r)
          + '; right − left = ' + d.difference + (Number(d.difference) < 0 ? ' (short on the right)' : ' (over on the right)') + '.');
        break;
      }
      case 'DUPLICATE_LEFT':
        lines.push('The rule pairs one row with one row, and the ' + left + ' side has more than one live row for this key.');
        break;
      case 'DUPLICATE_RIGHT':
        lines.push('The rule pairs one row with one row, and the ' + right + ' side has more than one live row for this key.');
        break;
      case 'UNOBSERVED_LEFT':
      case 'UNOBSERVED_RIGHT':
        lines.push('Found by a window verification read straight from the databases: the row exists in the database, '
          + 'but the reconciler never saw it in the binlog.');
        break;
      case 'UNREPORTED_INCONSISTENCY':
        lines.push('Found by a window verification read straight from the databases: the databases disagree for this key, '
          + 'and the binlog-driven check did not report it.');
        break;
      default:
        lines.push('Type ' + d.type + '.');
    }
    // verify before alert: what the point query on the other database found before this was raised
    if (d.verification && d.verification.summary) lines.push('Checked on the other database: ' + d.verification.summary + '.');
    const status = String(d.status || '').toUpperCase();
    if (status === 'RESOLVED') {
      const how = { COUNTERPART_ARRIVED: 'the missing row arrived', RETRACTED: 'the row was deleted or no longer matches the rule',
        CORRECTED: 'the rows were corrected and now agree', REVERIFIED: 'a later verification no longer found it' }[d.resolution];
      lines.push('Resolved ' + utc(d.resolvedAt) + ': ' + (d.resolution || '') + (how ? ' — ' + how : '') + '.');
    } else if (status === 'WAIVED') {
      lines.push('Waived: accepted as known. It no longer counts as open in the metrics and alerts, and stays listed.');
    } else if (status === 'OPEN' || status === 'ACKNOWLEDGED') {
      lines.push('Open: it resolves by itself when the rows agree (a late row arrives, a correction is committed).');
    }
    if (pair && pair.pendingLeftUntil) lines.push('Left rows of this key still wait for the right side until ' + utc(pair.pendingLeftUntil) + '.');
    if (pair && pair.pendingRightUntil) lines.push('Right rows of this key still wait for the left side until ' + utc(pair.pendingRightUntil) + '.');
    return lines.map((l) => h('p', { text: l }));
  }

  function sideCard(label, stream, rows, qtyColumn, side) {
    const card = h('section', { class: 'card', dataset: { side: side } },
      h('h3', { text: label + (stream ? ' — ' + stream : '') }));
    if (!rows || !rows.length) {
      card.append(h('p', { class: 'problem', text: 'No row on this side.' }));
      return card;
    }
    for (const r of rows) {
      card.append(kv([
        ['database', r.source],
        ['table', h('span', { class: 'mono', text: r.table })],
        ['primary key', h('span', { class: 'mono', text: r.pk })],
        ['quantity', qtyColumn ? (qtyColumn + ' = ' + ((r.columns || {})[qtyColumn] ?? '—')) : undefined],
        ['commit time', when(r.eventTime)],
        ['binlog position', h('span', { class: 'mono', text: r.position || '—' })],
      ]));
      const cols = Object.entries(r.columns || {}).map(([k, v]) => h('tr', null, h('td', { class: 'mono', text: k }),
        h('td', { class: 'mono', text: v === null ? 'NULL' : v })));
      card.append(h('details', null, h('summary', { text: 'columns (' + cols.length + ')' }),
        table(['column', 'value'], cols)));
    }
    return card;
  }

  function timeline(d) {
    let events = [];
    if (Array.isArray(d.timeline) && d.timeline.length) {
      events = d.timeline.map((t) => ({ at: t.at, action: t.action, by: t.by, reason: t.reason }));
    } else {
      events.push({ at: d.detectedAt, action: 'opened', by: 'reconciler' });
      if (d.acknowledged) events.push({ at: d.acknowledged.at, action: 'acknowledged', reason: d.acknowledged.note });
      if (d.resolvedAt) events.push({ at: d.resolvedAt, action: 'resolved', by: 'reconciler', reason: d.resolution });
      events.sort((a, b) => parseTime(a.at) - parseTime(b.at));
    }
    return h('ol', { class: 'timeline', id: 'timeline' }, events.map((e) => h('li', { dataset: { action: String(e.action).toLowerCase() } },
      h('div', null, h('strong', { text: String(e.action).toLowerCase() }), e.by ? ' by ' + e.by : ''),
      h('div', { class: 'when' }, when(e.at)),
      e.reason ? h('div', { text: e.reason }) : null)));
  }

  // ------------------------------------------------------------------ actions

  const ACTIONS = {
    ack: { label: 'Acknowledge', reason: false, help: 'Records that you have seen it and are on it. It stays open and keeps counting until it resolves or is waived.' },
    waive: { label: 'Waive', reason: true, help: 'Accepts it as known: the alert resolves and the open-discrepancy metrics stop counting it. It stays listed as waived. A reason is required.' },
    resolve: { label: 'Resolve by hand', reason: true, help: 'Marks it resolved although the rows still disagree (fixed outside the reconciler). A reason is required.' },
    reopen: { label: 'Re-open', reason: false, help: 'Opens it again: it counts as open and can alert again.' },
  };

  // The steps the API allows (409 otherwise): acknowledge in any state, waive an open one, resolve an open or waived
  // one by hand, re-open a waived one or one resolved by hand (the engine's own resolutions stand).
  function actionsFor(d) {
    const s = String(d.status || '').toUpperCase();
    const out = [];
    if (s === 'OPEN' && !d.acknowledged) out.push('ack');
    if (s === 'OPEN') out.push('waive');
    if (s === 'OPEN' || s === 'WAIVED') out.push('resolve');
    if (s === 'WAIVED' || (s === 'RESOLVED' && d.resolution === 'MANUAL')) out.push('reopen');
    return out;
  }

  function actions(d) {
    const row = h('div', { class: 'actions', id: 'actions' });
    for (const a of actionsFor(d)) {
      row.append(h('button', { type: 'button', id: 'action-' + a, class: a === 'waive' || a === 'resolve' ? '' : 'primary',
        text: ACTIONS[a].label, onclick: () => openAction(d, a) }));
    }
    return row;
  }

  let pending = null;

  function openAction(d, action) {
    const spec = ACTIONS[action];
    pending = { d: d, action: action };
    $('action-title').textContent = spec.label + ' ' + d.type + ' ' + keyText(d.key);
    $('action-help').textContent = spec.help;
    $('action-by').value = localStorage.getItem(NAME_KEY) || '';
    $('action-reason').value = '';
    $('action-reason').required = spec.reason;
    $('action-reason-label').textContent = spec.reason ? 'Reason (required)' : 'Note (optional)';
    $('action-token-row').hidden = !!token();
    $('action-token').value = '';
    $('action-error').hidden = true;
    $('action-submit').disabled = false;
    $('action-dialog').showModal();
    ($('action-by').value ? $('action-reason') : $('action-by')).focus();
  }

  async function submitAction(e) {
    e.preventDefault();
    if (!pending) return;
    const spec = ACTIONS[pending.action];
    const by = $('action-by').value.trim();
    const reason = $('action-reason').value.trim();
    const err = $('action-error');
    const fail = (text) => { err.textContent = text; err.hidden = false; $('action-submit').disabled = false; };
    if (!by) return fail('Enter your name: the audit trail records who acted.');
    if (spec.reason && !reason) return fail('A reason is required to ' + spec.label.toLowerCase() + '.');
    if (!$('action-token-row').hidden) {
      const t = $('action-token').value.trim();
      if (!t) return fail('Enter the API token.');
      sessionStorage.setItem(TOKEN_KEY, t);
      renderTokenButton();
    }
    localStorage.setItem(NAME_KEY, by);
    $('action-submit').disabled = true;
    try {
      const body = { by: by };
      if (reason) body.reason = reason;
      await api('/api/discrepancies/' + pending.d.id + '/' + pending.action, { method: 'POST', body: body });
      const done = spec.label + ' done by ' + by + '.';
      const id = pending.d.id;
      pending = null;
      $('action-dialog').close();
      refreshStatus();
      renderDetail(id, done);
    } catch (x) {
      if (x.status === 401 || x.status === 403) {
        sessionStorage.removeItem(TOKEN_KEY);
        renderTokenButton();
        $('action-token-row').hidden = x.status === 403;
      }
      fail(x.message + (x.fix ? ' — ' + x.fix : ''));
    }
  }

  // ------------------------------------------------------------------ token

  function renderTokenButton() {
    $('token-button').textContent = token() ? 'Token set' : 'Sign in';
  }

  function openTokenDialog() {
    $('token-input').value = '';
    $('token-dialog').showModal();
    $('token-input').focus();
  }

  // ------------------------------------------------------------------ daily report

  async function renderDaily(params) {
    const seq = state.renderSeq;
    // The API's default is yesterday (a whole day); on call, today so far is what matters first.
    const today = new Date().toISOString().substring(0, 10);
    const yesterday = new Date(Date.now() - 86400000).toISOString().substring(0, 10);
    const date = params.get('date') || today;
    const picker = h('form', { class: 'filters', id: 'daily-form' },
      h('label', null, 'Day (UTC)', h('input', { type: 'date', name: 'date', id: 'daily-date', value: date })),
      h('button', { type: 'submit', class: 'primary', text: 'Show' }),
      h('a', { href: '#/daily?date=' + today, text: 'today' }), h('a', { href: '#/daily?date=' + yesterday, text: 'yesterday' }));
    picker.addEventListener('submit', (e) => {
      e.preventDefault();
      const d = picker.elements.date.value;
      location.hash = '#/daily' + (d ? '?date=' + encodeURIComponent(d) : '');
    });
    main.replaceChildren(h('h1', { text: 'Daily summary' }), picker, h('p', { class: 'muted', text: 'Loading…' }));
    let report;
    try {
      report = await api('/api/reports/daily?date=' + encodeURIComponent(date));
    } catch (e) {
      if (seq !== state.renderSeq) return;
      main.replaceChildren(h('h1', { text: 'Daily summary' }), picker, e.status === 404 && e.message.indexOf('endpoint') >= 0
        ? h('p', { class: 'muted', text: 'This reconciler has no daily report endpoint (/api/reports/daily).' })
        : errorBox(e, 'Cannot read the daily report'));
      return;
    }
    if (seq !== state.renderSeq) return;
    main.replaceChildren(h('h1', { text: 'Daily summary ' + (report.date || '') + ' ' + (report.zone || '')
      + (report.date === today ? ' (today so far)' : '') }), picker,
      h('div', { id: 'daily' }, Array.isArray(report.rules) ? daily(report) : value(report)));
  }

  function daily(r) {
    const out = [];
    const gaps = r.coverageGaps || [];
    if (gaps.length) {
      out.push(h('div', { class: 'banner bad' }, h('strong', { text: 'Not checked:' }), ' ' + gaps.map((g) => g.source
        + ' from ' + utc(g.from) + ' to ' + utc(g.to)).join('; ') + '. Discrepancies of these windows may be unreported; '
        + 'verify them (POST /api/rules/{rule}/verify).'));
    } else {
      out.push(h('p', { class: 'muted', text: 'No coverage gap: every source was read without a hole that day.' }));
    }
    out.push(table(['rule', ['matched', 'num'], ['opened', 'num'], ['resolved', 'num'], ['waived', 'num']],
      r.rules.map((x) => h('tr', { dataset: { rule: x.rule } }, h('td', { text: x.rule }),
        h('td', { class: 'num', text: String(x.matched) }), h('td', { class: 'num', text: String(x.opened) }),
        h('td', { class: 'num', text: String(x.resolved) }), h('td', { class: 'num', text: String(x.waived) })))));
    for (const x of r.rules) {
      const types = [...new Set([...Object.keys(x.openedByType || {}), ...Object.keys(x.resolvedByType || {}),
        ...Object.keys(x.waivedByType || {})])].filter((t) => (x.openedByType || {})[t] || (x.resolvedByType || {})[t]
        || (x.waivedByType || {})[t]);
      if (!types.length) continue;
      out.push(h('h2', { text: x.rule + ' by type' }), table(['type', ['opened', 'num'], ['resolved', 'num'], ['waived', 'num']],
        types.map((t) => h('tr', null, h('td', null, pill(t, TYPE_KIND[t])),
          h('td', { class: 'num', text: String((x.openedByType || {})[t] || 0) }),
          h('td', { class: 'num', text: String((x.resolvedByType || {})[t] || 0) }),
          h('td', { class: 'num', text: String((x.waivedByType || {})[t] || 0) })))));
    }
    const lag = Object.entries(r.worstLagSeconds || {});
    if (lag.length) {
      out.push(h('h2', { text: 'Worst lag' }), kv(lag.map(([src, sec]) => [src, sec === null ? 'not sampled' : span(sec)])));
    }
    return out;
  }

  // Any JSON document as tables: arrays of objects as a table, objects as key/value lists.
  function value(v) {
    if (v === null || v === undefined) return h('span', { class: 'muted', text: '—' });
    if (Array.isArray(v)) {
      if (!v.length) return h('span', { class: 'muted', text: 'none' });
      if (v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
        const cols = [...new Set(v.flatMap((x) => Object.keys(x)))];
        return table(cols, v.map((x) => h('tr', null, cols.map((c) => h('td', null, value(x[c]))))));
      }
      return h('span', { text: v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ') });
    }
    if (typeof v === 'object') return kv(Object.entries(v).map(([k, x]) => [k, value(x)]));
    if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) return when(v);
    return h('span', { text: String(v) });
  }

  // ------------------------------------------------------------------ routing

  function parseRoute() {
    const hash = location.hash.replace(/^#/, '') || '/';
    const [path, query] = hash.split('?');
    const params = new URLSearchParams(query || '');
    let m;
    if (path === '/' || path === '') return { name: 'overview', params: params };
    if (path === '/discrepancies') return { name: 'list', params: params };
    if ((m = path.match(/^\/discrepancies\/([0-9a-fA-F]{1,64})$/))) return { name: 'detail', id: m[1], params: params };
    if (path === '/daily') return { name: 'daily', params: params };
    return { name: 'unknown', params: params };
  }

  function route() {
    state.route = parseRoute();
    state.renderSeq++;
    document.querySelectorAll('[data-nav]').forEach((a) => {
      const n = a.dataset.nav;
      a.classList.toggle('active', n === state.route.name || (n === 'discrepancies' && state.route.name === 'detail')
        || (n === 'discrepancies' && state.route.name === 'list'));
    });
    switch (state.route.name) {
      case 'overview': document.title = 'reconciler · overview'; return renderOverview(true);
      case 'list': document.title = 'reconciler · discrepancies'; return renderList(state.route.params);
      case 'detail': document.title = 'reconciler · ' + state.route.id; return renderDetail(state.route.id);
      case 'daily': document.title = 'reconciler · daily'; return renderDaily(state.route.params);
      default: main.replaceChildren(h('h1', { text: 'Not found' }), h('p', null, h('a', { href: '#/', text: 'Overview' })));
    }
  }

  function start() {
    $('action-form').addEventListener('submit', submitAction);
    $('action-cancel').addEventListener('click', () => { pending = null; $('action-dialog').close(); });
    $('token-button').addEventListener('click', openTokenDialog);
    $('token-cancel').addEventListener('click', () => $('token-dialog').close());
    $('token-forget').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      renderTokenButton();
      $('token-dialog').close();
    });
    $('token-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const t = $('token-input').value.trim();
      if (t) sessionStorage.setItem(TOKEN_KEY, t);
      renderTokenButton();
      $('token-dialog').close();
      refreshStatus();
      route();
    });
    renderTokenButton();
    window.addEventListener('hashchange', route);
    route();
    refreshStatus();
    setInterval(refreshStatus, STATUS_EVERY_MS);
    setInterval(renderFresh, 1000);
  }

  start();
}());
