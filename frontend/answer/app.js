// 办通 · 问卷: the public page behind a QR code or a website link, for
// anyone, without logging in. `/q/{plugin}/{path}?{query}` reads the form
// from the plugin's public route `GET /api/plugins/{plugin}/{path}?{query}`
// and sends the answers to the form's `submit` route (a public route of the
// same plugin, with the same query: the hall and the link's code).
//
// The form, as the plugin describes it:
//   { title, hall_name?, intro?, thanks?, submit: "/…",
//     questions: [{ id, text, required, kind: "rating", levels: [{value, label}],
//                   bad_below?, reasons?: [..] }
//                 | { id, text, required, kind: "choice", options: [..], multiple }
//                 | { id, text, required, kind: "text", max_chars }],
//     contact?: { label, hint } }
// What is sent: { answers: {id: value}, reasons: [..], contact?, device,
// version }, where `device` is a random id kept on this phone, so a resend
// or a second tap is recognised and not counted twice, and `version` the
// form's, so answers never land on a questionnaire that changed meanwhile.
// A form marked `auth: true` (a surveyor's, not a citizen's) is sent with
// the surveyor's session and its CSRF token; any other is sent without
// cookies, as an anonymous answer.
'use strict';

const S = {
  loadFailed: '问卷暂时无法打开，请稍后重试。',
  badLink: '链接无效或已停用，请扫描大厅张贴的二维码。',
  optional: '（选填）',
  reasonsTitle: '请选择不满意的原因（可多选）',
  submit: '提交',
  sending: '正在提交…',
  required: (n) => `还有 ${n} 个必答题未回答。`,
  thanks: '提交成功，感谢您的评价！',
  already: '您今天已经评价过，感谢参与！',
  retry: '网络不稳定，提交未完成，请再点一次“提交”。',
};

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

const main = document.getElementById('main');
function show(...nodes) { main.replaceChildren(...nodes); }

function deviceId() {
  const key = 'bantong.answer.device';
  try {
    let id = localStorage.getItem(key);
    if (!id) {
      id = (crypto.randomUUID && crypto.randomUUID()) ||
        Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
      localStorage.setItem(key, id);
    }
    return id;
  } catch (_) {
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  }
}

// `/q/{plugin}/{path}`: the plugin id is checked before it is used.
function target() {
  const m = location.pathname.match(/^\/q\/([a-z][a-z0-9-]{0,63})(\/[A-Za-z0-9._~\/-]*)$/);
  return m ? { plugin: m[1], path: m[2] } : null;
}

// The host's and plugins' messages are "中文 / English": citizens read
// the Chinese half.
async function errorText(resp) {
  try {
    const body = await resp.json();
    const message = (body && body.error && body.error.message) || '';
    return message.split(' / ')[0];
  } catch (_) { return ''; }
}

function pressGroup(buttons, chosen) {
  for (const b of buttons) b.setAttribute('aria-pressed', String(chosen.includes(b.dataset.value)));
}

function render(form, t) {
  document.getElementById('title').textContent = form.title || '问卷';
  document.title = `${form.title || '问卷'} · 办通`;
  const answers = {};
  let reasons = [];
  const sets = [];
  for (const q of form.questions || []) {
    const legend = h('legend', {}, q.text, q.required ? null : h('span', { class: 'opt', text: S.optional }));
    const set = h('fieldset', { 'data-id': q.id }, legend);
    if (q.kind === 'rating') {
      const box = h('div', { class: 'levels', role: 'group' });
      const reasonBox = q.reasons && q.reasons.length ? h('div', { class: 'reasons', hidden: true },
        h('p', { text: S.reasonsTitle })) : null;
      const buttons = (q.levels || []).map((l) => h('button', {
        type: 'button', 'data-value': String(l.value), 'aria-pressed': 'false',
        class: l.value < (q.bad_below || 3) ? 'bad' : null,
        onclick: () => {
          answers[q.id] = l.value;
          pressGroup(buttons, [String(l.value)]);
          set.classList.remove('missing');
          if (reasonBox) {
            const bad = l.value < (q.bad_below || 3);
            reasonBox.hidden = !bad;
            if (!bad) { reasons = []; pressGroup(reasonButtons, []); }
          }
        },
      }, l.label));
      box.append(...buttons);
      set.append(box);
      let reasonButtons = [];
      if (reasonBox) {
        const wrap = h('div', { class: 'choices' });
        reasonButtons = q.reasons.map((r) => h('button', {
          type: 'button', 'data-value': r, 'aria-pressed': 'false',
          onclick: () => {
            reasons = reasons.includes(r) ? reasons.filter((x) => x !== r) : [...reasons, r];
            pressGroup(reasonButtons, reasons);
          },
        }, r));
        wrap.append(...reasonButtons);
        reasonBox.append(wrap);
        set.append(reasonBox);
      }
    } else if (q.kind === 'choice') {
      const box = h('div', { class: 'choices', role: 'group' });
      let chosen = [];
      const buttons = (q.options || []).map((o) => h('button', {
        type: 'button', 'data-value': o, 'aria-pressed': 'false',
        onclick: () => {
          if (q.multiple) chosen = chosen.includes(o) ? chosen.filter((x) => x !== o) : [...chosen, o];
          else chosen = [o];
          answers[q.id] = q.multiple ? chosen : o;
          pressGroup(buttons, chosen);
          set.classList.remove('missing');
        },
      }, o));
      box.append(...buttons);
      set.append(box);
    } else {
      const area = h('textarea', {
        maxlength: q.max_chars || 500, 'aria-label': q.text,
        oninput: (e) => { answers[q.id] = e.target.value; set.classList.remove('missing'); },
      });
      set.append(area);
    }
    sets.push([q, set]);
  }
  let contactInput = null;
  const contactSet = form.contact ? h('fieldset', {},
    h('legend', {}, form.contact.label, h('span', { class: 'opt', text: S.optional })),
    contactInput = h('input', { type: 'tel', inputmode: 'tel', autocomplete: 'tel', maxlength: 20, 'aria-label': form.contact.label }),
    form.contact.hint ? h('p', { class: 'hint', text: form.contact.hint }) : null) : null;
  const status = h('div', { role: 'status' });
  const submit = h('button', { class: 'submit', type: 'button', text: S.submit });
  const device = deviceId();
  submit.addEventListener('click', async () => {
    const missing = sets.filter(([q]) => q.required && (answers[q.id] === undefined ||
      (typeof answers[q.id] === 'string' && !answers[q.id].trim())));
    for (const [, set] of missing) set.classList.add('missing');
    if (missing.length) {
      status.replaceChildren(h('p', { class: 'alert', text: S.required(missing.length) }));
      missing[0][1].scrollIntoView({ behavior: 'smooth', block: 'center' });
      return;
    }
    submit.disabled = true;
    submit.textContent = S.sending;
    const body = { answers, reasons, device };
    if (form.version !== undefined) body.version = form.version;
    if (contactInput && contactInput.value.trim()) body.contact = contactInput.value.trim();
    try {
      const headers = { 'content-type': 'application/json' };
      if (form.auth) {
        const me = await fetch('/api/auth/me', { credentials: 'same-origin' });
        if (me.ok) headers['x-csrf-token'] = (await me.json()).csrf_token || '';
      }
      const resp = await fetch(`/api/plugins/${t.plugin}${form.submit}${location.search}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        credentials: form.auth ? 'same-origin' : 'omit',
      });
      if (resp.ok) {
        show(h('p', { class: 'ok', text: form.thanks || S.thanks }));
        window.scrollTo(0, 0);
        return;
      }
      if (resp.status === 409) {
        // Answered already today, or the questionnaire changed meanwhile.
        show(h('p', { class: 'ok', text: (await errorText(resp)) || S.already }));
        window.scrollTo(0, 0);
        return;
      }
      status.replaceChildren(h('p', { class: 'alert', text: (await errorText(resp)) || S.loadFailed }));
    } catch (_) {
      status.replaceChildren(h('p', { class: 'alert', text: S.retry }));
    }
    submit.disabled = false;
    submit.textContent = S.submit;
  });
  show(
    form.hall_name ? h('p', { class: 'hall', text: form.hall_name }) : null,
    form.intro ? h('p', { class: 'intro', text: form.intro }) : null,
    ...sets.map(([, set]) => set),
    contactSet,
    status,
    submit,
  );
}

async function start() {
  const t = target();
  if (!t) { show(h('p', { class: 'alert', text: S.badLink })); return; }
  try {
    const resp = await fetch(`/api/plugins/${t.plugin}${t.path}${location.search}`, { credentials: 'same-origin' });
    if (!resp.ok) {
      const why = await errorText(resp);
      show(h('p', { class: 'alert', text: resp.status === 404 || resp.status === 401 ? S.badLink : (why || S.loadFailed) }));
      return;
    }
    const form = await resp.json();
    if (!form || !Array.isArray(form.questions) || typeof form.submit !== 'string' || !form.submit.startsWith('/')) {
      show(h('p', { class: 'alert', text: S.loadFailed }));
      return;
    }
    render(form, t);
  } catch (_) {
    show(h('p', { class: 'alert', text: S.loadFailed }));
  }
}

start();
