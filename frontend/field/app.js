// 办通 · 现场检查: the field app for checklists a plugin declares (a view
// whose spec has `field`: the routes of its template, save and sign-off).
//
// It works without a network: each visit, its answers and its photos are
// kept in IndexedDB as they are given, under an id made on the device, and
// sent when the network is back — the photos to the host's blob store,
// the answers with a PUT to the plugin's save route (the same id again
// and again, so a resend never makes a second visit), then the sign-off.
// Photos are stamped with the time, the hall and the place (and the
// position when the phone gives one) before they leave the device.
'use strict';

const STRINGS = {
  loading: '正在加载…',
  login: '请先登录办通，再打开现场检查。',
  loginLink: '前往登录',
  noViews: '您没有可用的现场检查表。',
  online: '在线',
  offline: '离线 · 记录保存在本机',
  newVisit: '新建检查',
  hall: '检查大厅',
  kind: '检查类型',
  start: '开始检查',
  visits: '本机检查记录',
  none: '暂无记录。',
  open: '继续',
  back: '返回列表',
  sign: '提交并签字',
  pass: '合格', fail: '不合格', na: '不适用',
  times: '发现次数',
  note: '情况说明',
  photo: '拍照取证',
  evidence: '需拍照取证',
  answered: (a, n) => `已填 ${a} / ${n} 项`,
  local: '仅保存在本机', saved: '已上传草稿', done: '已签字上传', error: '上传被拒绝',
  unanswered: (codes) => `还有 ${codes.length} 项未填写：${codes.join('、')}`,
  needPhoto: (code) => `检查项 ${code} 不合格，须拍照取证。`,
  confirm: '确认检查结果属实并签字？签字后不能再修改。',
  signedLocal: '已签字。网络恢复后将自动上传，不会重复提交。',
  synced: '已上传到办通。',
  place: '位置（如 3号窗口）',
};

// Halls keep China Standard Time, whatever the phone is set to.
const HALL_TIME = { hour12: false, timeZone: 'Asia/Shanghai' };

const KINDS = [['routine', '月覆盖检查'], ['special', '专项检查'], ['adhoc', '临时检查']];

// --- small DOM helper (text is always set as text, never as HTML) ---------
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

// --- IndexedDB -------------------------------------------------------------
let dbPromise;
function db() {
  dbPromise = dbPromise || new Promise((resolve, reject) => {
    const req = indexedDB.open('bantong-field', 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore('visits', { keyPath: 'id' });
      const photos = req.result.createObjectStore('photos', { keyPath: 'id' });
      photos.createIndex('visit', 'visit');
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return dbPromise;
}
async function tx(store, mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(store, mode);
    const out = fn(t.objectStore(store));
    t.oncomplete = () => resolve(out && 'result' in out ? out.result : undefined);
    t.onerror = () => reject(t.error);
  });
}
const put = (store, value) => tx(store, 'readwrite', (s) => s.put(value));
const getOne = (store, key) => tx(store, 'readonly', (s) => s.get(key));
const getAll = (store) => tx(store, 'readonly', (s) => s.getAll());
const photosOf = (visit) => tx('photos', 'readonly', (s) => s.index('visit').getAll(visit));

// --- the API ---------------------------------------------------------------
let csrf = null;
async function api(method, path, body, type) {
  const headers = {};
  if (csrf && method !== 'GET') headers['x-csrf-token'] = csrf;
  let payload;
  if (body instanceof Blob) {
    headers['content-type'] = type || body.type;
    payload = body;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch (e) {
    reachable = false;
    showNet();
    throw e;
  }
  if (!reachable) { reachable = true; showNet(); }
  let json = null;
  try { json = await r.json(); } catch (_) { /* not JSON */ }
  return { status: r.status, json };
}
const pluginPath = (view, route, id) => `/api/plugins/${view.plugin}${route.replace('{id}', encodeURIComponent(id || ''))}`;

// --- state -----------------------------------------------------------------
const state = { me: null, views: [], halls: [], view: null, template: null, visit: null };
const main = () => document.getElementById('main');

// Whether the host answered the last request: a phone can report being
// online while its link is gone.
let reachable = true;
function showNet() {
  const el = document.getElementById('net');
  const up = navigator.onLine && reachable;
  el.textContent = up ? STRINGS.online : STRINGS.offline;
  el.className = up ? 'net' : 'net off';
}

function newId() {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  return 'v-' + Date.now().toString(36) + '-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function items(template) {
  return template.categories.flatMap((c) => c.items.map((i) => ({ ...i, category: c.name })));
}

function hallName(id) {
  const hall = state.halls.find((x) => x.id === id);
  return hall ? hall.name_zh : id;
}

// --- boot ------------------------------------------------------------------
async function boot() {
  showNet();
  window.addEventListener('online', () => { showNet(); sync(); });
  window.addEventListener('offline', showNet);
  // A phone's link can fail while it still reports being online: retry.
  setInterval(sync, 10000);
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/field/sw.js', { scope: '/field/' }).catch(() => {});
    // Once the worker controls the page, read what the app needs again so
    // the worker keeps a copy for the next start without a network.
    navigator.serviceWorker.addEventListener('controllerchange', primeCache);
  }
  try {
    const me = await api('GET', '/api/auth/me');
    if (me.status === 401) return showLogin();
    if (me.status === 200) {
      state.me = me.json.user;
      csrf = me.json.csrf_token;
      localStorage.setItem('field.me', JSON.stringify(me.json));
    }
  } catch (_) {
    const cached = localStorage.getItem('field.me');
    if (!cached) return showLogin();
    const me = JSON.parse(cached);
    state.me = me.user;
    csrf = me.csrf_token;
  }
  try {
    const views = await api('GET', '/api/portal/views');
    state.views = (views.json && views.json.items || []).filter((v) => v.spec && v.spec.field);
    state.halls = (views.json && views.json.halls) || [];
  } catch (_) { /* no network and nothing cached */ }
  const wanted = location.hash.slice(1);
  state.view = state.views.find((v) => `${v.plugin}/${v.id}` === wanted) || state.views[0] || null;
  if (!state.view) {
    main().replaceChildren(h('p', { class: 'alert', text: STRINGS.noViews }));
    return;
  }
  document.getElementById('title').textContent = state.view.title.zh || state.view.title;
  try {
    const t = await api('GET', pluginPath(state.view, state.view.spec.field.template));
    if (t.status === 200) state.template = { version: t.json.version, ...t.json.template };
  } catch (_) { /* offline: the cached answer came back or nothing */ }
  await showHome();
  if (navigator.serviceWorker && navigator.serviceWorker.controller) primeCache();
  sync();
}

async function primeCache() {
  if (!state.view) return;
  try {
    await Promise.all([
      fetch('/api/portal/views', { credentials: 'same-origin' }),
      fetch(pluginPath(state.view, state.view.spec.field.template), { credentials: 'same-origin' }),
    ]);
    document.body.dataset.offlineReady = 'true';
  } catch (_) { /* offline: next time */ }
}

function showLogin() {
  main().replaceChildren(h('div', { class: 'card' },
    h('p', { text: STRINGS.login }),
    h('p', {}, h('a', { href: '/login?next=/field/', text: STRINGS.loginLink }))));
}

// --- home: new visit and the visits on this device -------------------------
async function showHome() {
  state.visit = null;
  const visits = (await getAll('visits')).sort((a, b) => b.created_ms - a.created_ms);
  const hallSelect = h('select', { id: 'hall', name: 'hall', required: true },
    state.halls.map((x) => h('option', { value: x.id, text: x.name_zh })));
  const kindSelect = h('select', { id: 'kind', name: 'kind' }, KINDS.map(([v, t]) => h('option', { value: v, text: t })));
  const start = h('button', { class: 'primary', type: 'submit', text: STRINGS.start });
  const form = h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    if (!state.template) return;
    const visit = {
      id: newId(), plugin: state.view.plugin, view: state.view.id,
      hall: hallSelect.value, kind: kindSelect.value,
      template_version: state.template.version, answers: {},
      created_ms: Date.now(), signed: false, sync: 'local', error: null,
    };
    await put('visits', visit);
    showVisit(visit.id);
  } },
  h('h2', { text: STRINGS.newVisit }),
  h('label', { for: 'hall', text: STRINGS.hall }), hallSelect,
  h('label', { for: 'kind', text: STRINGS.kind }), kindSelect,
  h('p', {}, start));
  const tags = { local: ['wait', STRINGS.local], saved: ['wait', STRINGS.saved], done: ['done', STRINGS.done], error: ['err', STRINGS.error] };
  const list = visits.length === 0
    ? h('p', { class: 'muted', text: STRINGS.none })
    : h('ul', { class: 'list' }, visits.map((v) => {
      const [cls, label] = tags[v.sync] || tags.local;
      return h('li', { 'data-visit': v.id },
        `${hallName(v.hall)} · ${new Date(v.created_ms).toLocaleString('zh-CN', HALL_TIME)}`,
        h('span', { class: `tag ${cls}`, text: v.signed && v.sync !== 'done' ? `已签字 · ${label}` : label }),
        v.error ? h('div', { class: 'alert', text: v.error }) : null,
        v.signed ? null : h('div', {}, h('button', { type: 'button', onclick: () => showVisit(v.id), text: STRINGS.open })));
    }));
  main().replaceChildren(form, h('section', { class: 'card' }, h('h2', { text: STRINGS.visits }), list));
}

// --- one visit: the checklist ----------------------------------------------
async function showVisit(id) {
  const visit = await getOne('visits', id);
  if (!visit) return showHome();
  state.visit = visit;
  const all = items(state.template);
  const photos = await photosOf(id);
  const progress = h('div', { class: 'progress' }, h('div', { style: 'width:0%' }));
  const count = h('p', { class: 'muted' });
  const message = h('div', { role: 'alert' });
  const refresh = () => {
    const n = Object.keys(visit.answers).length;
    count.textContent = STRINGS.answered(n, all.length);
    progress.firstChild.style.width = `${Math.round((100 * n) / all.length)}%`;
  };
  const save = async () => {
    visit.sync = visit.sync === 'done' ? 'done' : 'local';
    await put('visits', visit);
    refresh();
    scheduleSync();
  };
  const sections = state.template.categories.map((c) => h('section', { class: 'card' },
    h('h2', { text: `${c.code}. ${c.name}` }),
    c.items.map((item) => itemView(visit, item, photos.filter((p) => p.code === item.code), save))));
  const signButton = h('button', { class: 'primary', type: 'button', id: 'sign', text: STRINGS.sign, onclick: async () => {
    const missing = all.filter((i) => !visit.answers[i.code]).map((i) => i.code);
    if (missing.length) { message.className = 'alert'; message.textContent = STRINGS.unanswered(missing); return; }
    const current = await photosOf(id);
    const bare = all.find((i) => i.evidence_required && visit.answers[i.code].verdict === 'fail' && !current.some((p) => p.code === i.code));
    if (bare) { message.className = 'alert'; message.textContent = STRINGS.needPhoto(bare.code); return; }
    if (!window.confirm(STRINGS.confirm)) return;
    visit.signed = true;
    visit.signed_ms = Date.now();
    await save();
    message.className = 'ok';
    message.textContent = navigator.onLine ? STRINGS.synced : STRINGS.signedLocal;
    await sync();
    showHome();
  } });
  main().replaceChildren(
    h('div', { class: 'card' }, h('strong', { text: hallName(visit.hall) }),
      h('span', { class: 'tag', text: (KINDS.find(([k]) => k === visit.kind) || KINDS[0])[1] }),
      progress, count),
    ...sections, message,
    h('div', { class: 'footer' },
      h('button', { type: 'button', onclick: showHome, text: STRINGS.back }), signButton));
  refresh();
}

function itemView(visit, item, photos, save) {
  const answer = () => visit.answers[item.code];
  const detail = h('div', { class: 'fail-detail' });
  const buttons = [['pass', STRINGS.pass, 'pass'], ['fail', STRINGS.fail, 'fail'], ['not_applicable', STRINGS.na, 'na']].map(([verdict, label, cls]) => h('button', {
    type: 'button', class: cls, 'aria-pressed': String(!!answer() && answer().verdict === verdict), 'data-verdict': verdict,
    onclick: async (e) => {
      const prev = answer() || {};
      visit.answers[item.code] = verdict === 'fail'
        ? { verdict, occurrences: prev.occurrences || 1, note: prev.note || '' }
        : { verdict, note: prev.note || '' };
      e.currentTarget.parentElement.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(b === e.currentTarget)));
      renderDetail();
      await save();
    },
  }, label));
  const thumbs = h('div', { class: 'photos' });
  const showThumb = (blob) => {
    const url = URL.createObjectURL(blob);
    thumbs.append(h('img', { src: url, alt: `${item.code} 照片` }));
  };
  photos.forEach((p) => showThumb(p.blob));
  const renderDetail = () => {
    const a = answer();
    if (!a || a.verdict !== 'fail') { detail.replaceChildren(); return; }
    const out = h('output', { text: String(a.occurrences) });
    const step = (d) => async () => { a.occurrences = Math.max(1, Math.min(99, a.occurrences + d)); out.textContent = String(a.occurrences); await save(); };
    const noteId = `note-${item.code}`;
    const note = h('textarea', { id: noteId, maxlength: 1000, oninput: async (e) => { a.note = e.target.value; await save(); } });
    note.value = a.note || '';
    const placeId = `place-${item.code}`;
    const place = h('input', { type: 'text', id: placeId, maxlength: 100, placeholder: '3号窗口' });
    const file = h('input', { type: 'file', accept: 'image/*', capture: 'environment', 'data-photo': item.code, onchange: async (e) => {
      for (const f of Array.from(e.target.files || [])) {
        const stamped = await takePhoto(f, visit, place.value.trim());
        const record = { id: newId(), visit: visit.id, code: item.code, ...stamped, sha256: null };
        await put('photos', record);
        showThumb(record.blob);
      }
      e.target.value = '';
      await save();
    } });
    detail.replaceChildren(
      h('label', { text: STRINGS.times }),
      h('div', { class: 'stepper' }, h('button', { type: 'button', 'aria-label': '减少', onclick: step(-1), text: '−' }), out, h('button', { type: 'button', 'aria-label': '增加', onclick: step(1), text: '+' })),
      h('label', { for: noteId, text: STRINGS.note }), note,
      h('label', { for: placeId, text: STRINGS.place }), place,
      h('label', { class: 'file' }, file, h('span', { text: item.evidence_required ? `${STRINGS.photo}（${STRINGS.evidence}）` : STRINGS.photo })),
      thumbs);
  };
  renderDetail();
  return h('div', { class: 'item', 'data-item': item.code },
    h('div', {}, h('span', { class: 'code', text: item.code }), h('strong', { text: item.title }),
      item.evidence_required ? h('span', { class: 'tag', text: STRINGS.evidence }) : null),
    h('div', { class: 'req', text: item.requirement }),
    h('div', { class: 'verdicts', role: 'group', 'aria-label': `${item.code} ${item.title}` }, buttons),
    detail);
}

// --- photos: stamped with time, hall, place and position -------------------
function position() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }),
      () => resolve(null), { timeout: 5000, maximumAge: 60000 });
  });
}

async function takePhoto(file, visit, place) {
  const taken = Date.now();
  const where = await position();
  const when = new Date(taken).toLocaleString('zh-CN', HALL_TIME);
  const text = [when, hallName(visit.hall), place, where ? `${where.lat.toFixed(5)}, ${where.lon.toFixed(5)}` : null].filter(Boolean).join(' · ');
  let blob = file;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
    const w = Math.round(bitmap.width * scale);
    const hgt = Math.round(bitmap.height * scale);
    const canvas = document.createElement('canvas');
    canvas.width = w; canvas.height = hgt;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0, w, hgt);
    const band = Math.max(18, Math.round(hgt * 0.07));
    ctx.fillStyle = 'rgba(0,0,0,0.6)';
    ctx.fillRect(0, hgt - band, w, band);
    ctx.fillStyle = '#fff';
    ctx.font = `${Math.round(band * 0.55)}px "Noto Sans CJK SC", "Microsoft YaHei", sans-serif`;
    ctx.textBaseline = 'middle';
    ctx.fillText(text, Math.round(band * 0.3), hgt - band / 2, w - band * 0.6);
    blob = await new Promise((r) => canvas.toBlob(r, 'image/jpeg', 0.85)) || file;
  } catch (_) { /* a format the browser cannot draw: keep the file as it is */ }
  return { blob, type: blob.type || 'image/jpeg', taken_ms: taken, place: place || null, lat: where && where.lat, lon: where && where.lon };
}

// --- sending ---------------------------------------------------------------
let syncing = false;
let timer = null;
function scheduleSync() {
  clearTimeout(timer);
  timer = setTimeout(sync, 1500);
}

async function sync() {
  if (syncing || !navigator.onLine || !state.view) return;
  syncing = true;
  let changed = false;
  try {
    for (const visit of await getAll('visits')) {
      if (visit.sync === 'done') continue;
      const view = state.views.find((v) => v.plugin === visit.plugin && v.id === visit.view) || state.view;
      const field = view.spec.field;
      const photos = await photosOf(visit.id);
      for (const p of photos.filter((x) => !x.sha256)) {
        const r = await api('POST', `/api/blobs?hall=${encodeURIComponent(visit.hall)}`, p.blob, p.type);
        if (r.status !== 201) throw new Error(`照片上传失败（${r.status}）`);
        p.sha256 = r.json.sha256;
        await put('photos', p);
      }
      const answers = {};
      for (const [code, a] of Object.entries(visit.answers)) {
        const evidence = photos.filter((p) => p.code === code && p.sha256 && a.verdict === 'fail').map((p) => ({
          sha256: p.sha256, content_type: p.type, taken_ms: p.taken_ms,
          place: p.place || undefined, lat: p.lat ?? undefined, lon: p.lon ?? undefined,
        }));
        answers[code] = { verdict: a.verdict, occurrences: a.verdict === 'fail' ? a.occurrences : 0, note: a.note || '', evidence };
      }
      const saved = await api('PUT', pluginPath(view, field.save, visit.id), { hall: visit.hall, kind: visit.kind, answers });
      if (saved.status >= 400) { await fail(visit, saved); changed = true; continue; }
      visit.sync = 'saved';
      if (visit.signed) {
        const signed = await api('POST', pluginPath(view, field.sign, visit.id), {});
        if (signed.status >= 400) { await fail(visit, signed); changed = true; continue; }
        visit.sync = 'done';
      }
      visit.error = null;
      await put('visits', visit);
      changed = true;
    }
  } catch (_) {
    // The network went away mid-way: everything stays on the device and
    // goes out on the next try (same ids, so nothing is sent twice).
  } finally {
    syncing = false;
    if (changed && !state.visit) showHome();
  }
}

async function fail(visit, reply) {
  visit.sync = 'error';
  visit.error = (reply.json && (reply.json.message || reply.json.error)) || `HTTP ${reply.status}`;
  await put('visits', visit);
}

boot();
