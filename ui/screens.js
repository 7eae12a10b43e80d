// Builds each screen's DOM from a view. Only the parts that never change while the screen is
// shown are built here; app.js updates notices, countdowns and checklists in place.
import { h, row, input } from './dom.js';

export function title(view, w) {
  const t = {
    login: w.login, identity: w.forgot, reserved_phone: w.forgot, face: w.face,
    documents: w.documents, contact_phone: w.contactPhoneTitle, new_password: w.newPassword,
    result: w.forgot,
  };
  return t[view.screen] || w.forgot;
}

const section = (text) => h('h2', { class: 'section' }, text);
const primary = (id, text, onclick) => h('button', { id, class: 'primary', type: 'button', onclick }, text);
const link = (id, text, onclick) => h('button', { id, class: 'link', type: 'button', onclick }, text);
const tipsLink = (w, lines, act) => link('tips', w.tips, () => act.tips(lines));

function codeRow(w, act) {
  const get = h('button', { id: 'get-code', class: 'get-code', type: 'button', onclick: () => act.requestCode() }, w.getCode);
  return row('code', w.code, input('code', 'code', w.codePh, { inputmode: 'numeric', maxlength: '6', autocomplete: 'one-time-code' }), get);
}

const builders = {
  login(view, w, act) {
    const who = view.remembered_customer
      ? h('p', { class: 'welcome' }, `${w.welcome}`, h('span', { class: 'welcome-name' }, view.welcome_name || ''))
      : h('div', { class: 'card' },
          row('id-number', w.idNumber, input('id-number', 'id_number', w.idNumberPh, { value: view.id_number })));
    return [
      h('div', { class: 'brand', 'aria-hidden': 'true' }, h('div', { class: 'logo' }, '¥')),
      view.remembered_customer ? who : h('p', { class: 'welcome' }, w.welcome),
      view.remembered_customer ? null : who,
      h('div', { class: 'card' },
        row('password', w.loginPassword, input('password', 'password', w.loginPasswordPh, { type: 'password', maxlength: '19', autocomplete: 'current-password' }))),
      h('p', { id: 'signed-in', class: 'success', role: 'status' }),
      primary('login', w.login, () => act.logIn()),
      h('div', { class: 'links' },
        link('switch-user', w.switchUser, () => act.switchUser()),
        link('forgot', w.forgotLink, () => act.startReset()),
        link('switch-method', w.switchMethod, () => act.tips([w.switchMethodNote]))),
    ];
  },

  identity(view, w, act) {
    const current = view.id_types.find((t) => t.id_type === view.id_type);
    const picker = h('button', { id: 'id-type', class: 'row-input picker', type: 'button', 'data-field': 'id_type', onclick: () => act.pickIdType() },
      h('span', { id: 'id-type-label' }, current ? current.label : ''), h('span', { class: 'chevron', 'aria-hidden': 'true' }, '›'));
    return [
      section(w.identity),
      h('div', { class: 'card' },
        row('id-type', w.idType, picker),
        row('id-number', w.idNumber, input('id-number', 'id_number', w.idNumberPh, { value: view.id_number, maxlength: '32' }),
          h('button', { id: 'scan-id', class: 'scan-id', type: 'button', 'aria-label': w.scanId, title: w.scanId, onclick: () => act.scanIdCard() },
            h('span', { class: 'cam-icon', 'aria-hidden': 'true' }))),
        row('name', w.name, input('name', 'name', w.namePh, { value: view.name, maxlength: '64' }))),
      primary('next', w.next, () => act.submitIdentity()),
      tipsLink(w, w.identityTips, act),
    ];
  },

  reserved_phone(view, w, act) {
    return [
      section(w.reservedPhone),
      h('div', { class: 'card' },
        row('phone', w.reservedPhone, input('phone', 'phone', w.reservedPhonePh, { value: view.phone, inputmode: 'tel', maxlength: '20' })),
        codeRow(w, act)),
      h('div', { class: 'links end' }, link('phone-unavailable', w.phoneUnavailable, () => act.phoneUnavailable())),
      primary('next', w.next, () => act.verifyCode()),
    ];
  },

  contact_phone(view, w, act) {
    return [
      h('div', { class: 'card' },
        row('phone', w.contactPhone, input('phone', 'phone', w.contactPhonePh, { value: view.phone, inputmode: 'tel', maxlength: '20' })),
        codeRow(w, act)),
      primary('next', w.next, () => act.verifyCode()),
      h('div', { class: 'tips-box' }, h('h3', {}, w.tips), ...w.contactTips.map((t) => h('p', {}, t))),
    ];
  },

  face(view, w, act) {
    return [
      h('div', { class: 'face-intro' },
        h('div', { class: 'face-frame', 'aria-hidden': 'true' }, h('div', { class: 'face-ring' }, h('span', { class: 'face-glyph' }, '☺'))),
        h('p', { class: 'prompt' }, w.faceIntro)),
      h('ul', { class: 'face-rules' }, ...w.faceRules.map((t) => h('li', {}, t))),
      primary('start-face', w.faceStart, () => act.faceCheck()),
      h('p', { class: 'fine' }, w.faceNote),
    ];
  },

  documents(view, w, act) {
    return [
      h('p', { class: 'section' }, w.documentsIntro),
      h('div', { id: 'tiles', class: 'tiles' }),
      primary('next', w.next, () => act.submitDocuments()),
      h('div', { class: 'tips-box' }, h('h3', {}, w.tips), ...w.documentsTips.map((t) => h('p', {}, t))),
    ];
  },

  new_password(view, w, act) {
    const typed = () => act.passwordInput();
    return [
      h('div', { class: 'card' },
        row('password', w.password, input('password', 'password', w.passwordPh, { type: 'password', maxlength: '19', autocomplete: 'new-password', oninput: typed })),
        row('confirm', w.confirm, input('confirm', 'confirm', w.confirmPh, { type: 'password', maxlength: '19', autocomplete: 'new-password', oninput: typed }))),
      h('ul', { id: 'rules', class: 'rules', 'aria-live': 'polite' }),
      primary('ok', w.ok, () => act.setPassword()),
    ];
  },

  result(view, w, act) {
    const o = view.outcome || { kind: 'expired' };
    const [icon, head, text, cls] = {
      done: ['✓', w.resultDone, w.resultDoneText, 'ok'],
      under_review: ['', w.resultReview, w.resultReviewText(o.due_by), 'wait'],
      rejected: ['!', w.resultRejected, w.resultRejectedText, 'bad'],
      expired: ['!', w.resultExpired, w.resultExpiredText, 'bad'],
    }[o.kind];
    return [
      h('div', { class: `result ${cls}` },
        h('div', { class: 'result-icon', 'aria-hidden': 'true' }, icon),
        h('h2', { id: 'result-title' }, head),
        h('p', {}, text),
        o.kind === 'rejected' && o.reason ? h('p', { class: 'reason' }, w.reason + o.reason) : null),
      primary('back-to-login', w.backToLogin, () => act.cancel()),
    ];
  },
};

// The 上传资料 tiles: redrawn when a picture is taken, so the thumbnail shows at once.
export function tiles(view, w, act) {
  return view.documents.map((d) => h('button', {
    id: `tile-${d.kind}`, class: d.thumbnail ? 'tile taken' : 'tile', type: 'button',
    'aria-label': d.thumbnail ? `${d.label} · ${w.retake}` : d.label,
    onclick: () => act.captureDocument(d.kind),
  },
  d.thumbnail ? h('img', { class: 'tile-picture', src: d.thumbnail, alt: '' }) : h('div', { class: 'tile-icon', 'aria-hidden': 'true' }, h('span', { class: 'cam-icon' })),
  h('span', { class: 'tile-label' }, d.label),
  d.thumbnail ? h('span', { class: 'tile-retake' }, w.retake) : null));
}

// The camera overlay: the live picture, the one thing to do now, and 取消.
export function camera(view, w, act) {
  const c = view.camera;
  const face = c.task.kind === 'face';
  return [
    h('div', { class: 'camera-bar' }, h('h2', { id: 'camera-title' }, c.title)),
    h('div', { class: face ? 'camera-view face' : 'camera-view card' },
      c.preview ? h('img', { id: 'camera-preview', src: c.preview, alt: w.cameraPreview }) : h('div', { class: 'camera-wait' }, w.cameraStarting),
      h('div', { class: 'camera-guide', 'aria-hidden': 'true' })),
    h('p', { id: 'camera-prompt', class: 'camera-prompt', 'aria-live': 'assertive' },
      c.prompt || (face ? w.faceHold : w.cardHold)),
    h('p', { id: 'camera-hint', class: 'camera-hint', 'aria-live': 'polite' },
      c.hint || (c.step ? `${c.step[0]}/${c.step[1]}` + (c.remaining_s ? ` · ${w.secondsLeft(c.remaining_s)}` : '') : '')),
    h('button', { id: 'camera-cancel', class: 'camera-cancel', type: 'button', onclick: () => act.cancelCamera() }, w.cancel),
  ];
}

export function build(view, w, act) {
  return (builders[view.screen] || builders.login)(view, w, act);
}
