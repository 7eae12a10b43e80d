// The thin UI: sends what the customer did to the Rust core and draws the view it answers with.
// It holds no rules and no step state; only what is being typed lives in the page.
import { h } from './dom.js';
import { WORDS } from './words.js';
import { build, camera, tiles, title } from './screens.js';
import * as webcam from './webcam.js';

const tauri = window.__TAURI__;
const $ = (id) => document.getElementById(id);
const value = (id) => ($(id) ? $(id).value : '');

let shown = { screen: null, lang: null };
let current = null;
let busy = false;
// Keystroke checks are not serialised like intents: only the newest answer may be drawn.
let typing = 0;

async function send(command, args = {}) {
  if (busy) return;
  busy = true;
  document.body.classList.add('busy');
  try {
    draw(await tauri.core.invoke(command, args));
  } catch (e) {
    showBanner(e && e.message ? e.message : String(e));
  } finally {
    busy = false;
    document.body.classList.remove('busy');
  }
}

// Intents, one per thing the customer can do.
const act = {
  logIn: () => send('log_in', { idNumber: value('id-number') || null, password: value('password') }),
  startReset: () => send('start_reset'),
  switchUser: () => send('switch_user'),
  submitIdentity: () => send('submit_identity', { idNumber: value('id-number'), name: value('name') }),
  requestCode: () => send('request_code', { phone: value('phone') }),
  verifyCode: () => send('verify_code', { code: value('code') }),
  phoneUnavailable: () => send('phone_unavailable'),
  passwordInput: () => {
    const mine = ++typing;
    tauri.core.invoke('password_input', { password: value('password'), confirm: value('confirm') })
      .then((v) => { if (mine === typing) draw(v); });
  },
  setPassword: () => send('set_password', { password: value('password'), confirm: value('confirm') }),
  cancel: () => send('cancel'),
  faceCheck: () => send('face_check'),
  scanIdCard: () => send('scan_id_card'),
  captureDocument: (kind) => send('capture_document', { kind }),
  submitDocuments: () => send('submit_documents'),
  // Not queued behind the camera intent it stops.
  cancelCamera: () => tauri.core.invoke('cancel_camera').then(draw),
  back: () => send('cancel'),
  tips: (lines) => openSheet(words().tips, lines.map((l) => h('p', {}, l))),
  pickIdType: () => openSheet(words().pick, current.id_types.map((t) =>
    h('button', { class: 'sheet-option', type: 'button', 'data-id-type': t.id_type,
      onclick: () => { closeSheet(); send('choose_id_type', { idType: t.id_type }); } }, t.label))),
};

const words = () => WORDS[current ? current.lang : 'zh'];

function draw(view) {
  current = view;
  const w = words();
  document.documentElement.lang = view.lang === 'zh' ? 'zh-CN' : 'en';
  document.body.classList.toggle('kiosk', view.kiosk);
  if (shown.screen !== view.screen || shown.lang !== view.lang) {
    const screen = $('screen');
    screen.replaceChildren(...build(view, w, act).filter(Boolean));
    screen.dataset.screen = view.screen;
    $('title').textContent = title(view, w);
    $('back').classList.toggle('invisible', view.screen === 'login');
    $('back').setAttribute('aria-label', w.back);
    $('lang').textContent = w.langSwitch;
    $('help').textContent = w.help;
    shown = { screen: view.screen, lang: view.lang };
    screen.focus({ preventScroll: true });
  }
  update(view, w);
}

// The parts of a screen that change while it is shown.
function update(view, w) {
  for (const el of document.querySelectorAll('.row-error')) el.textContent = '';
  for (const el of document.querySelectorAll('.row')) el.classList.remove('invalid');
  const general = [];
  for (const n of view.notices) {
    const err = n.field && document.querySelector(`.row-input[data-field="${n.field}"]`);
    if (err) {
      $(`${err.id}-error`).textContent = n.message;
      err.closest('.row').classList.add('invalid');
      err.setAttribute('aria-invalid', 'true');
    } else general.push(n.message);
  }
  showBanner(general.join(' '));

  // The camera icon read the card: put what it read into the fields for the customer to check.
  if (view.scanned && $('id-number') && $('name')) {
    $('id-number').value = view.id_number;
    $('name').value = view.name;
  }

  const label = $('id-type-label');
  if (label) label.textContent = (view.id_types.find((t) => t.id_type === view.id_type) || {}).label || '';

  const get = $('get-code');
  if (get) {
    get.disabled = view.resend_in_s > 0;
    get.textContent = view.resend_in_s > 0 ? w.resendIn(view.resend_in_s) : w.getCode;
  }

  const rules = $('rules');
  if (rules) {
    rules.replaceChildren(...view.password_rules.map((r) =>
      h('li', { class: r.ok ? 'rule ok' : 'rule', 'data-rule': r.rule }, h('span', { 'aria-hidden': 'true' }, r.ok ? '✓' : '•'), ' ', r.text)));
  }

  const tileBox = $('tiles');
  if (tileBox) {
    const key = JSON.stringify(view.documents.map((d) => [d.kind, d.thumbnail ? d.thumbnail.length : 0]));
    if (tileBox.dataset.key !== key || tileBox.dataset.lang !== view.lang) {
      tileBox.replaceChildren(...tiles(view, w, act));
      tileBox.dataset.key = key;
      tileBox.dataset.lang = view.lang;
    }
  }

  const cam = $('camera');
  cam.hidden = !view.camera;
  if (view.camera) {
    const img = $('camera-preview');
    if (img && cam.dataset.task === JSON.stringify(view.camera.task) && view.camera.preview) {
      // Only the changing parts, so the picture does not flicker.
      img.src = view.camera.preview;
      const fresh = camera(view, w, act);
      $('camera-prompt').textContent = fresh[2].textContent;
      $('camera-hint').textContent = fresh[3].textContent;
    } else {
      cam.replaceChildren(...camera(view, w, act));
      cam.dataset.task = JSON.stringify(view.camera.task);
    }
  } else {
    cam.dataset.task = '';
  }
  webcam.follow(view, tauri.core.invoke);

  const signed = $('signed-in');
  if (signed) signed.textContent = view.signed_in ? w.signedIn : '';

  const inbox = $('inbox');
  inbox.hidden = !view.dev_inbox;
  if (view.dev_inbox) {
    inbox.replaceChildren(h('h2', {}, w.inbox),
      view.dev_inbox.length === 0 ? h('p', { class: 'muted' }, w.inboxEmpty) :
        h('ul', {}, view.dev_inbox.map((m) => h('li', { class: 'sms' },
          h('span', { class: 'sms-meta' }, `${m.to} · ${m.sent_at}`), h('span', { class: 'sms-text' }, m.text)))));
  }
}

function showBanner(text) {
  const b = $('banner');
  b.textContent = text;
  b.hidden = !text;
}

function openSheet(heading, children) {
  const sheet = $('sheet');
  sheet.replaceChildren(h('div', { class: 'sheet-panel', role: 'dialog', 'aria-modal': 'true', 'aria-label': heading },
    h('h2', {}, heading), ...children,
    h('button', { class: 'sheet-close', type: 'button', onclick: closeSheet }, words().close)));
  sheet.hidden = false;
}

function closeSheet() {
  $('sheet').hidden = true;
}

$('back').addEventListener('click', () => act.back());
$('lang').addEventListener('click', () => send('set_language', { lang: current && current.lang === 'zh' ? 'en' : 'zh' }));
$('sheet').addEventListener('click', (e) => { if (e.target === $('sheet')) closeSheet(); });
document.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && e.target.matches('.row-input')) {
    const next = document.querySelector('#screen button.primary');
    if (next) next.click();
  }
});

tauri.event.listen('view', (e) => draw(e.payload));
tauri.core.invoke('get_view').then((view) => {
  draw(view);
  // Two frames later the first screen is on the glass (the start-up benchmark listens for it).
  requestAnimationFrame(() => requestAnimationFrame(() => tauri.core.invoke('ui_painted')));
});
