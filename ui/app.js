// The thin UI: sends what the customer did to the Rust core and draws the view it answers with.
// It holds no rules and no step state; only what is being typed lives in the page.
import { h } from './dom.js';
import { WORDS, fill } from './words.js';
import { build, camera, cameraWords, tiles, title } from './screens.js';
import * as modal from './modal.js';
import * as webcam from './webcam.js';

const tauri = window.__TAURI__;
const $ = (id) => document.getElementById(id);
const value = (id) => ($(id) ? $(id).value : '');

let shown = { screen: null, lang: null, visit: null };
let current = null;
let busy = false;
let busyTimer = null;
let scannedShown = false;
// Keystroke checks are not serialised like intents: only the newest answer may be drawn.
let typing = 0;

// An intent: one at a time; the screen says it is working after 300 ms.
// Each carries the page's `visit`: the core drops an intent tapped on a page that a clean start
// (the kiosk's wipe, 取消) has replaced meanwhile.
async function send(command, args = {}) {
  if (busy) return;
  busy = true;
  setBusy(true);
  try {
    draw(await tauri.core.invoke(command, { ...args, visit: shown.visit }));
    focusFirstError();
  } catch (e) {
    showBanner(e && e.message ? e.message : String(e));
  } finally {
    busy = false;
    setBusy(false);
  }
}

// 返回, 取消 and the like: not queued behind an intent in flight, which they stop.
function interrupt(command, args = {}) {
  return tauri.core.invoke(command, args).then(draw).catch((e) => showBanner(String(e)));
}

function setBusy(on) {
  $('screen').setAttribute('aria-busy', on ? 'true' : 'false');
  document.body.classList.toggle('busy', on);
  clearTimeout(busyTimer);
  if (on) {
    // The camera screen is its own progress: no indicator over it.
    busyTimer = setTimeout(() => { $('busy').hidden = !$('camera').hidden; }, 300);
  } else {
    $('busy').hidden = true;
  }
}

// Intents, one per thing the customer can do.
const act = {
  logIn: () => send('log_in', { idNumber: value('id-number') || null, password: value('password') }),
  logOut: () => send('log_out'),
  startReset: () => send('start_reset'),
  switchUser: () => send('switch_user'),
  submitIdentity: () => send('submit_identity', { idNumber: value('id-number'), name: value('name') }),
  requestCode: () => send('request_code', { phone: value('phone') }),
  verifyCode: () => send('verify_code', { code: value('code') }),
  phoneUnavailable: () => send('phone_unavailable'),
  passwordInput: () => {
    const mine = ++typing;
    tauri.core.invoke('password_input', { password: value('password'), confirm: value('confirm'), visit: shown.visit })
      .then((v) => { if (mine === typing) draw(v); });
  },
  setPassword: () => send('set_password', { password: value('password'), confirm: value('confirm') }),
  retry: () => send('retry'),
  cancel: () => interrupt('cancel'),
  // An open sheet closes first (Android's back button too).
  back: () => (modal.sheetOpen() ? modal.closeSheet() : interrupt('back')),
  answerLeave: (leave) => interrupt('answer_leave', { leave, visit: shown.visit }),
  stay: () => tauri.core.invoke('still_here').then(() => tauri.core.invoke('get_view')).then(draw),
  faceCheck: () => send('face_check'),
  scanIdCard: () => send('scan_id_card'),
  captureDocument: (kind) => send('capture_document', { kind }),
  submitDocuments: () => send('submit_documents'),
  cancelCamera: () => interrupt('cancel_camera'),
  tips: (heading, lines, e) => modal.openSheet(heading, lines.map((l) => h('p', {}, l)), words().close, e && e.currentTarget),
  pickIdType: (e) => modal.openSheet(words().pick, current.id_types.map((t) =>
    h('button', { class: 'sheet-option', type: 'button', 'data-id-type': t.id_type, 'aria-current': t.id_type === current.id_type ? 'true' : null,
      onclick: () => { modal.closeSheet(); send('choose_id_type', { idType: t.id_type }); } }, t.label)), words().close, e && e.currentTarget),
};

const words = () => WORDS[current ? current.lang : 'zh'];

// The bank's facts for the words' {bank}, {hotline} and {wechat}.
function sayer(view) {
  const b = view.bank;
  const facts = { bank: view.lang === 'zh' ? b.short_name : b.name_en, hotline: b.hotline, wechat: b.wechat_account };
  return { bank: facts.bank, fill: (t, more = {}) => fill(t, { ...facts, ...more }) };
}

// What the customer has typed, by field id: kept across a language switch.
function typedValues() {
  return [...document.querySelectorAll('#screen input')].map((el) => [el.id, el.value]);
}

function draw(view) {
  // An answer of an intent that a clean start stopped: the page has moved on.
  if (shown.visit !== null && view.visit < shown.visit) return;
  const fresh = shown.visit !== view.visit;
  current = view;
  const w = words();
  const say = sayer(view);
  const root = document.documentElement;
  root.lang = view.lang === 'zh' ? 'zh-CN' : 'en';
  root.classList.toggle('kiosk', view.kiosk);
  root.classList.toggle('large-text', view.large_text);
  $('large-text').setAttribute('aria-pressed', view.large_text ? 'true' : 'false');
  if (fresh) modal.closeAll();
  if (fresh || shown.screen !== view.screen || shown.lang !== view.lang) {
    const moved = fresh || shown.screen !== view.screen;
    const keep = moved ? [] : typedValues();
    const screen = $('screen');
    screen.replaceChildren(...build(view, w, act, say).filter(Boolean));
    screen.dataset.screen = view.screen;
    for (const [id, v] of keep) if ($(id)) $(id).value = v;
    $('title').textContent = title(view, w);
    // Nothing to go back to: the login screen, and a build without a server.
    $('back').classList.toggle('invisible', view.screen === 'login' || view.screen === 'no_server');
    $('back').setAttribute('aria-label', w.back);
    $('lang').textContent = w.langSwitch;
    // Each name starts with what the button shows, for those who say what they see.
    $('lang').setAttribute('aria-label', `${w.langSwitch} ${w.langSwitchLabel}`);
    $('large-text').textContent = w.largeText;
    $('large-text').setAttribute('aria-label', w.largeTextLabel.includes(w.largeText) ? w.largeTextLabel : `${w.largeText} ${w.largeTextLabel}`);
    $('help').replaceChildren(...helpFooter(view, w, say));
    $('busy-text').textContent = w.busy;
    shown = { screen: view.screen, lang: view.lang, visit: view.visit };
    if (moved) {
      window.scrollTo(0, 0);
      $('title').focus({ preventScroll: true });
    }
  }
  update(view, w, say);
}

// The guide's help footer: the hotline as a tel: link, the WeChat account and its QR code.
function helpFooter(view, w, say) {
  const marker = '\u0000';
  const [before, after] = say.fill(w.helpCall, { hotline: marker }).split(marker);
  // A kiosk has no phone to call with, and a tel: link would take the window away from the app.
  const tel = view.kiosk
    ? h('strong', { class: 'tel' }, view.bank.hotline)
    : h('a', { class: 'tel', href: `tel:${view.bank.hotline}` }, view.bank.hotline);
  return [
    h('h2', { class: 'help-title' }, w.helpTitle),
    h('ul', { class: 'help-list' },
      h('li', { class: 'help-call' }, before, tel, after),
      h('li', {}, say.fill(w.helpWechat))),
    h('figure', { class: 'help-qr' },
      h('img', { src: view.bank.wechat_qr, alt: say.fill(w.helpQrAlt), width: '88', height: '88' }),
      h('figcaption', {}, w.helpQr)),
  ];
}

// Text that changes only when it says something new, so live regions speak once.
function say(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

// The parts of a screen that change while it is shown.
function update(view, w, s) {
  const errors = new Map();
  const general = [];
  for (const n of view.notices) {
    const input = n.field && document.querySelector(`#screen .row-input[data-field="${n.field}"]`);
    if (input) errors.set(input.id, n.message);
    else general.push(n.message);
  }
  for (const input of document.querySelectorAll('#screen .row-input')) {
    const message = errors.get(input.id) || '';
    say($(`${input.id}-error`), message);
    input.closest('.row').classList.toggle('invalid', !!message);
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
  showBanner(general.join(' '));

  // The camera icon read the card: put what it read into the fields once, for the customer to
  // check (and correct: later views do not put it back).
  if (view.scanned && !scannedShown && $('id-number') && $('name')) {
    $('id-number').value = view.id_number;
    $('name').value = view.name;
  }
  scannedShown = view.scanned;

  say($('id-type-label'), (view.id_types.find((t) => t.id_type === view.id_type) || {}).label || '');

  const get = $('get-code');
  if (get) {
    get.disabled = view.resend_in_s > 0;
    say(get, view.resend_in_s > 0 ? s.fill(w.resendIn, { s: view.resend_in_s }) : view.code_sent ? w.resend : w.getCode);
  }
  say($('code-sent'), view.code_sent_to ? s.fill(w.codeSentTo, { phone: view.code_sent_to }) : '');

  const rules = $('rules');
  if (rules) {
    rules.replaceChildren(...view.password_rules.map((r) =>
      h('li', { class: r.ok ? 'rule ok' : 'rule', 'data-rule': r.rule },
        h('span', { 'aria-hidden': 'true' }, r.ok ? '✓' : '•'), ' ', r.text,
        h('span', { class: 'visually-hidden' }, ` (${r.ok ? w.ruleMet : w.ruleUnmet})`))));
  }

  const tileBox = $('tiles');
  if (tileBox) {
    const key = JSON.stringify([view.lang, view.documents.map((d) => [d.kind, d.label, d.thumbnail ? d.thumbnail.length : 0])]);
    if (tileBox.dataset.key !== key) {
      tileBox.replaceChildren(...tiles(view, w, act));
      tileBox.dataset.key = key;
    }
  }

  const countdown = $('return-in');
  if (countdown) {
    const template = w[countdown.dataset.template || 'kioskReturnIn'];
    say(countdown, view.return_in_s ? s.fill(template, { s: view.return_in_s }) : '');
  }

  drawCamera(view, w, s);
  webcam.follow(view, tauri.core.invoke);
  drawInbox(view, w);
  drawDialogs(view, w, s);
  followBackButton(view);
}

function drawCamera(view, w, s) {
  const cam = $('camera');
  if (!view.camera) {
    if (!cam.hidden) {
      cam.hidden = true;
      cam.dataset.task = '';
      // The last frame (a face, a card) does not stay in the page.
      cam.replaceChildren();
      $('title').focus({ preventScroll: true });
    }
    return;
  }
  const task = JSON.stringify([view.camera.task, view.lang]);
  if (cam.dataset.task !== task) {
    cam.replaceChildren(...camera(view, w, act));
    cam.dataset.task = task;
    cam.hidden = false;
    $('busy').hidden = true;
    $('camera-title').focus({ preventScroll: true });
  }
  const img = $('camera-preview');
  if (view.camera.preview) {
    img.src = view.camera.preview;
    img.hidden = false;
    $('camera-wait').hidden = true;
  }
  const { prompt, hint } = cameraWords(view, w, s);
  say($('camera-prompt'), prompt);
  say($('camera-hint'), hint);
}

function drawInbox(view, w) {
  const inbox = $('inbox');
  inbox.hidden = !view.dev_inbox;
  const key = JSON.stringify([view.lang, view.dev_inbox]);
  if (!view.dev_inbox || inbox.dataset.key === key) return;
  inbox.dataset.key = key;
  inbox.replaceChildren(h('h2', {}, w.inbox),
    view.dev_inbox.length === 0 ? h('p', { class: 'muted' }, w.inboxEmpty) :
      h('ul', {}, view.dev_inbox.map((m) => h('li', { class: 'sms' },
        h('span', { class: 'sms-meta' }, `${m.to} · ${m.sent_at}`), h('span', { class: 'sms-text' }, m.text)))));
}

// The core's questions: 确定放弃本次密码重置吗？ and the kiosk's 即将返回首页.
function drawDialogs(view, w, s) {
  // The wipe's warning comes first: a customer who walked away from the question must see it.
  if (view.idle_warning_s) {
    modal.openDialog('idle', w.idleTitle, s.fill(w.idleText, { s: view.idle_warning_s }), [
      { id: 'idle-stay', text: w.idleStay, primary: true, onclick: () => act.stay() },
    ], () => act.stay());
  } else if (view.confirm_leave) {
    modal.openDialog('leave', w.leaveTitle, w.leaveText, [
      { id: 'leave-no', text: w.leaveNo, primary: true, onclick: () => act.answerLeave(false) },
      { id: 'leave-yes', text: w.leaveYes, onclick: () => act.answerLeave(true) },
    ], () => act.answerLeave(false));
  } else {
    modal.closeDialog();
  }
}

function showBanner(text) {
  const b = $('banner');
  say(b, text);
  b.hidden = !text;
}

// After an intent: the first field the core found wrong gets the focus.
function focusFirstError() {
  const bad = document.querySelector('#screen .row-input[aria-invalid="true"]');
  if (bad && !modal.isOpen()) bad.focus();
}

// Android's system back (button and gesture) goes through the core like the header's arrow;
// on the login screen it is left to the system, which leaves the app.
let backListener = null;
function followBackButton(view) {
  const app = tauri.app;
  if (!app || !app.onBackButtonPress) return;
  const want = (view.screen !== 'login' && view.screen !== 'no_server') || !!view.camera;
  if (want && !backListener) {
    backListener = app.onBackButtonPress(() => act.back()).catch(() => null);
  } else if (!want && backListener) {
    const listener = backListener;
    backListener = null;
    listener.then((l) => l && l.unregister()).catch(() => {});
  }
}

// A kiosk's idle clock hears every touch and key, typing included, at most once a second.
let lastActivity = 0;
function activity() {
  if (!current || !current.kiosk) return;
  const now = Date.now();
  if (now - lastActivity < 1000) return;
  lastActivity = now;
  tauri.core.invoke('still_here').catch(() => {});
}
for (const type of ['pointerdown', 'keydown', 'input', 'touchstart', 'wheel']) {
  document.addEventListener(type, activity, { capture: true, passive: true });
}
// A kiosk offers no way out of the app: no context menu, no reload.
document.addEventListener('contextmenu', (e) => { if (current && current.kiosk) e.preventDefault(); });
document.addEventListener('keydown', (e) => {
  if (!current || !current.kiosk) return;
  const key = e.key.toLowerCase();
  if (key === 'f5' || key === 'f12' || ((e.ctrlKey || e.metaKey) && ['r', 'w', 'p', 'o', 'n'].includes(key)) || (e.altKey && key === 'arrowleft')) {
    e.preventDefault();
  }
});

$('back').addEventListener('click', () => act.back());
$('lang').addEventListener('click', () => send('set_language', { lang: current && current.lang === 'zh' ? 'en' : 'zh' }));
$('large-text').addEventListener('click', () => send('set_large_text', { on: !(current && current.large_text) }));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && e.target.matches('.row-input') && e.target.tagName === 'INPUT') {
    const next = document.querySelector('#screen button.primary');
    if (next) next.click();
  }
});
// A phone's on-screen keyboard shrinks the visible area (the page resizes with it,
// interactive-widget=resizes-content); the field being typed in is kept above it, since not
// every webview scrolls it back into sight by itself.
if (window.visualViewport) {
  window.visualViewport.addEventListener('resize', () => {
    const field = document.activeElement;
    if (field && field.matches('input, textarea')) field.scrollIntoView({ block: 'nearest' });
  });
}
modal.install();

tauri.event.listen('view', (e) => draw(e.payload));
tauri.core.invoke('get_view').then((view) => {
  draw(view);
  // Two frames later the first screen is on the glass (the start-up benchmark listens for it).
  requestAnimationFrame(() => requestAnimationFrame(() => tauri.core.invoke('ui_painted')));
});
