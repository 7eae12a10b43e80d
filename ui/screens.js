// Builds each screen's DOM from a view. Only the parts that never change while the screen is
// shown are built here; app.js updates notices, countdowns and checklists in place.
import { h, row, input } from './dom.js';

export function title(view, w) {
  const t = {
    login: w.login, identity: w.forgot, reserved_phone: w.forgot, face: w.face,
    documents: w.documents, contact_phone: w.contactPhoneTitle, new_password: w.newPassword,
    result: w.forgot, signed_in: w.signedInTitle,
    offline: view.resume_pending ? w.offlineTitle : w.unreachableTitle, no_server: w.noServerTitle,
  };
  return t[view.screen] || w.forgot;
}

const section = (text) => h('h2', { class: 'section' }, text);
const primary = (id, text, onclick) => h('button', { id, class: 'primary', type: 'button', onclick }, text);
const secondary = (id, text, onclick) => h('button', { id, class: 'secondary', type: 'button', onclick }, text);
const link = (id, text, onclick) => h('button', { id, class: 'link', type: 'button', onclick }, text);
const tipsBox = (w, lines, id = 'tips') => h('section', { id, class: 'tips-box', 'aria-labelledby': `${id}-title` },
  h('h2', { id: `${id}-title` }, w.tips), ...lines.map((t) => h('p', {}, t)));
// A kiosk's finished visit: the countdown to the clean start, updated in place by app.js.
const kioskCountdown = (view) => (view.kiosk ? h('p', { id: 'return-in', class: 'countdown' }) : null);

function codeRow(view, w, act) {
  const get = h('button', { id: 'get-code', class: 'get-code', type: 'button', onclick: () => act.requestCode() }, w.getCode);
  return [
    row('code', w.code, input('code', 'code', w.codePh, { inputmode: 'numeric', maxlength: '6', autocomplete: fillHint(view, 'one-time-code') }), get),
    h('p', { id: 'code-sent', class: 'code-sent', role: 'status' }),
  ];
}

// 身份证 numbers end in a digit or X: a text keyboard that capitalises, not a numeric one
// that has no X. Other IDs mix letters and digits.
const idNumberKeys = { autocapitalize: 'characters', inputmode: 'text' };
// A kiosk's webview must not offer one customer's name or phone to the next.
const fillHint = (view, hint) => (view.kiosk ? 'off' : hint);
// A remembered number is shown masked: the first key replaces it rather than editing stars.
const rememberedKeys = (view) => (view.id_number_remembered ? { onfocus: (e) => e.target.select() } : {});

const builders = {
  login(view, w, act, say) {
    const who = view.remembered_customer
      ? h('p', { class: 'welcome' }, w.welcome, h('span', { class: 'welcome-name' }, view.welcome_name || ''))
      : h('div', { class: 'card' },
          row('id-number', w.idNumber, input('id-number', 'id_number', w.idNumberPh, { value: view.id_number, ...idNumberKeys })));
    return [
      h('div', { class: 'brand' },
        h('img', { class: 'logo', src: view.bank.logo, alt: '' }),
        h('p', { class: 'brand-name' }, say.bank)),
      view.remembered_customer ? who : h('p', { class: 'welcome' }, w.welcome),
      view.remembered_customer ? null : who,
      h('div', { class: 'card' },
        // No maxlength: a pasted password is never cut short without a word.
        row('password', w.password, input('password', 'password', w.loginPasswordPh, { type: 'password', autocomplete: fillHint(view, 'current-password') }))),
      primary('login', w.login, () => act.logIn()),
      h('div', { class: 'links' },
        link('switch-user', w.switchUser, () => act.switchUser()),
        link('forgot', w.forgot, () => act.startReset()),
        link('switch-method', w.switchMethod, (e) => act.tips(w.switchMethod, [w.switchMethodNote], e))),
    ];
  },

  signed_in(view, w, act, say) {
    return [
      h('div', { class: 'result ok' },
        h('div', { class: 'result-icon', 'aria-hidden': 'true' }, '✓'),
        h('h2', { id: 'result-title' }, view.welcome_name ? `${w.welcome} ${view.welcome_name}` : w.signedInTitle),
        h('p', {}, say.fill(w.signedInText))),
      view.kiosk ? h('p', { id: 'return-in', class: 'countdown', 'data-template': 'kioskLogOutIn' }) : null,
      primary('log-out', w.logOut, () => act.logOut()),
    ];
  },

  identity(view, w, act, say) {
    const current = view.id_types.find((t) => t.id_type === view.id_type);
    const picker = h('button', { id: 'id-type', class: 'row-input picker', type: 'button', 'data-field': 'id_type', 'aria-haspopup': 'dialog', onclick: (e) => act.pickIdType(e) },
      h('span', { id: 'id-type-label' }, current ? current.label : ''), h('span', { class: 'chevron', 'aria-hidden': 'true' }, '›'));
    const scan = view.id_type === 'id_card'
      ? h('button', { id: 'scan-id', class: 'scan-id', type: 'button', 'aria-label': w.scanId, title: w.scanId, onclick: () => act.scanIdCard() },
          h('span', { class: 'cam-icon', 'aria-hidden': 'true' }))
      : null;
    return [
      section(w.identity),
      h('div', { class: 'card' },
        row('id-type', w.idType, picker),
        row('id-number', w.idNumber, input('id-number', 'id_number', w.idNumberPh, { value: view.id_number, maxlength: '32', ...idNumberKeys, ...rememberedKeys(view) }), scan),
        row('name', w.name, input('name', 'name', w.namePh, { value: view.name, maxlength: '64', autocomplete: fillHint(view, 'name') }))),
      primary('next', w.next, () => act.submitIdentity()),
      tipsBox(w, w.identityTips.map((t) => say.fill(t))),
    ];
  },

  reserved_phone(view, w, act) {
    return [
      section(w.reservedPhone),
      h('div', { class: 'card' },
        row('phone', w.reservedPhone, input('phone', 'phone', w.reservedPhonePh, { value: view.phone, inputmode: 'tel', autocomplete: fillHint(view, 'tel'), maxlength: '20' })),
        ...codeRow(view, w, act)),
      h('div', { class: 'links end' }, link('phone-unavailable', w.phoneUnavailable, () => act.phoneUnavailable())),
      primary('next', w.next, () => act.verifyCode()),
    ];
  },

  contact_phone(view, w, act) {
    return [
      h('div', { class: 'card' },
        row('phone', w.contactPhone, input('phone', 'phone', w.contactPhonePh, { value: view.phone, inputmode: 'tel', autocomplete: fillHint(view, 'tel'), maxlength: '20' })),
        ...codeRow(view, w, act)),
      primary('next', w.next, () => act.verifyCode()),
      tipsBox(w, w.contactTips),
    ];
  },

  face(view, w, act) {
    return [
      h('div', { class: 'face-intro' },
        h('div', { class: 'face-frame', 'aria-hidden': 'true' }, h('div', { class: 'face-ring' }, h('span', { class: 'face-glyph' }, '☺'))),
        h('p', { class: 'prompt' }, w.faceIntro)),
      h('ul', { class: 'face-rules' }, ...w.faceRules.map((t) => h('li', {}, t))),
      h('section', { id: 'face-notice', class: 'notice-box', 'aria-labelledby': 'face-notice-title' },
        h('h2', { id: 'face-notice-title' }, w.faceNotice), ...w.faceNoticeLines.map((t) => h('p', {}, t))),
      primary('start-face', w.faceStart, () => act.faceCheck()),
      h('p', { class: 'fine' }, w.faceNote),
    ];
  },

  documents(view, w, act) {
    const a = view.applicant || { name: '', id_number: '' };
    return [
      h('section', { class: 'card applicant', 'aria-labelledby': 'applicant-title' },
        h('h2', { id: 'applicant-title', class: 'visually-hidden' }, w.applicant),
        h('dl', {},
          h('div', { class: 'fact' }, h('dt', {}, w.name), h('dd', { id: 'applicant-name' }, a.name)),
          h('div', { class: 'fact' }, h('dt', {}, w.idNumber), h('dd', { id: 'applicant-id' }, a.id_number)))),
      h('p', { class: 'section' }, w.documentsIntro),
      h('div', { id: 'tiles', class: 'tiles' }),
      primary('next', w.next, () => act.submitDocuments()),
      tipsBox(w, view.documents_tips),
    ];
  },

  new_password(view, w, act) {
    const typed = () => act.passwordInput();
    return [
      h('div', { class: 'card' },
        // No maxlength: a pasted password longer than 19 is shown as too long, not cut.
        row('password', w.password, input('password', 'password', w.passwordPh, { type: 'password', autocomplete: fillHint(view, 'new-password'), oninput: typed })),
        row('confirm', w.confirm, input('confirm', 'confirm', w.confirmPh, { type: 'password', autocomplete: fillHint(view, 'new-password'), oninput: typed }))),
      h('ul', { id: 'rules', class: 'rules' }),
      primary('ok', w.ok, () => act.setPassword()),
    ];
  },

  result(view, w, act, say) {
    const o = view.outcome || { kind: 'expired' };
    const [icon, head, lines, cls] = {
      done: ['✓', w.resultDone, [w.resultDoneText], 'ok'],
      under_review: ['', w.resultReview, [w.resultReviewPending,
        say.fill(w.resultReviewText, { due: o.due_by, phone: o.contact_phone || '' })], 'wait'],
      rejected: ['!', w.resultRejected, [w.resultRejectedText], 'bad'],
      expired: ['!', w.resultExpired, [w.resultExpiredText], 'bad'],
    }[o.kind];
    return [
      h('div', { class: `result ${cls}` },
        h('div', { class: 'result-icon', 'aria-hidden': 'true' }, icon),
        h('h2', { id: 'result-title' }, head),
        ...lines.map((l) => h('p', {}, l)),
        o.kind === 'rejected' && o.reason ? h('p', { class: 'reason' }, w.reason + o.reason) : null),
      kioskCountdown(view),
      primary('back-to-login', view.kiosk ? w.backHome : w.backToLogin, () => act.cancel()),
    ];
  },

  // The server does not answer: at start (the banner says why), or with a reset to resume.
  offline(view, w, act) {
    return [
      h('div', { class: 'result bad' },
        h('div', { class: 'result-icon', 'aria-hidden': 'true' }, '!'),
        h('h2', { id: 'result-title' }, view.resume_pending ? w.offlineTitle : w.unreachableTitle),
        view.resume_pending ? h('p', {}, w.offlineText) : null),
      primary('retry', w.retry, () => act.retry()),
      secondary('offline-back', w.backToLogin, () => act.back()),
    ];
  },

  // A build that names no server: nothing to retry; the banner says why, the footer where to call.
  no_server(view, w) {
    return [
      h('div', { class: 'result bad' },
        h('div', { class: 'result-icon', 'aria-hidden': 'true' }, '!'),
        h('h2', { id: 'result-title' }, w.noServerTitle)),
    ];
  },
};

// The 上传资料 tiles: redrawn when a picture is taken, so the thumbnail shows at once.
export function tiles(view, w, act) {
  return view.documents.map((d) => h('button', {
    id: `tile-${d.kind}`, class: d.thumbnail ? 'tile taken' : 'tile', type: 'button',
    onclick: () => act.captureDocument(d.kind),
  },
  d.thumbnail ? h('img', { class: 'tile-picture', src: d.thumbnail, alt: '' }) : h('div', { class: 'tile-icon', 'aria-hidden': 'true' }, h('span', { class: 'cam-icon' })),
  h('span', { class: 'tile-label' }, d.label),
  d.thumbnail ? h('span', { class: 'tile-retake' }, ' ', w.retake) : null));
}

// The face check, the card scan, or the picture the tile named.
function cameraTitle(view, w) {
  const task = view.camera.task;
  if (task.kind === 'face') return w.face;
  if (task.kind === 'id_scan') return w.scanTitle;
  return (view.documents.find((d) => d.kind === task.document) || {}).label || w.documents;
}

// The camera overlay: the live picture, the one thing to do now, and 取消.
export function camera(view, w, act) {
  const c = view.camera;
  const face = c.task.kind === 'face';
  return [
    h('div', { class: 'camera-bar' }, h('h2', { id: 'camera-title', tabindex: '-1' }, cameraTitle(view, w))),
    h('div', { class: face ? 'camera-view face' : 'camera-view card' },
      h('img', { id: 'camera-preview', alt: w.cameraPreview, hidden: !c.preview, src: c.preview || undefined }),
      h('div', { id: 'camera-wait', class: 'camera-wait', hidden: !!c.preview }, w.cameraStarting),
      h('div', { class: 'camera-guide', 'aria-hidden': 'true' })),
    h('p', { id: 'camera-prompt', class: 'camera-prompt', 'aria-live': 'assertive' }),
    h('p', { id: 'camera-hint', class: 'camera-hint', 'aria-live': 'polite' }),
    h('button', { id: 'camera-cancel', class: 'camera-cancel', type: 'button', onclick: () => act.cancelCamera() }, w.cancel),
  ];
}

// What the camera overlay's prompt and hint say now (set only when they change, so a screen
// reader hears each once).
export function cameraWords(view, w, say) {
  const c = view.camera;
  const face = c.task.kind === 'face';
  const prompt = c.prompt || (face ? w.faceHold : w.cardHold);
  const hint = c.hint || (c.step ? `${c.step[0]}/${c.step[1]}` + (c.remaining_s ? ` · ${say.fill(w.secondsLeft, { s: c.remaining_s })}` : '') : '');
  return { prompt, hint };
}

export function build(view, w, act, say) {
  return (builders[view.screen] || builders.login)(view, w, act, say);
}
