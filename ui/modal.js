// Sheets (the ID type picker, tips), the core's dialogs (放弃本次密码重置？, 即将返回首页) and the
// camera overlay hold the focus while open: Tab stays inside, Esc takes the safe way out, and
// the focus goes back where it was when they close.
import { h } from './dom.js';

const $ = (id) => document.getElementById(id);
let sheetOpener = null;
let dialogKind = null;
let dialogEscape = null;

const focusable = (root) => [...root.querySelectorAll('button, [href], input, [tabindex]:not([tabindex="-1"])')]
  .filter((el) => !el.disabled && !el.closest('[hidden]'));

export function openSheet(heading, children, closeText, opener) {
  sheetOpener = opener || document.activeElement;
  const sheet = $('sheet');
  sheet.replaceChildren(h('div', { class: 'sheet-panel', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'sheet-title' },
    h('h2', { id: 'sheet-title' }, heading), ...children,
    h('button', { id: 'sheet-close', class: 'sheet-close', type: 'button', onclick: () => closeSheet() }, closeText)));
  sheet.hidden = false;
  (focusable(sheet)[0] || sheet).focus();
}

export function closeSheet(restore = true) {
  const sheet = $('sheet');
  if (sheet.hidden) return;
  sheet.hidden = true;
  sheet.replaceChildren();
  if (restore && sheetOpener && document.contains(sheetOpener)) sheetOpener.focus();
  sheetOpener = null;
}

// `kind` names the question; the dialog is built once per question and its text kept current.
export function openDialog(kind, heading, text, buttons, escape) {
  const dialog = $('dialog');
  dialogEscape = escape;
  if (dialogKind === kind) {
    const p = $('dialog-text');
    if (p.textContent !== text) p.textContent = text;
    return;
  }
  dialogKind = kind;
  dialog.replaceChildren(h('div', { class: 'sheet-panel dialog-panel', role: 'alertdialog', 'aria-modal': 'true',
    'aria-labelledby': 'dialog-title', 'aria-describedby': 'dialog-text', 'data-dialog': kind },
  h('h2', { id: 'dialog-title' }, heading),
  h('p', { id: 'dialog-text' }, text),
  h('div', { class: 'dialog-actions' }, ...buttons.map((b) =>
    h('button', { id: b.id, class: b.primary ? 'primary' : 'secondary', type: 'button', onclick: b.onclick }, b.text)))));
  dialog.hidden = false;
  focusable(dialog)[0].focus();
}

export function closeDialog() {
  if (!dialogKind) return;
  dialogKind = null;
  dialogEscape = null;
  const dialog = $('dialog');
  dialog.hidden = true;
  dialog.replaceChildren();
  $('title').focus({ preventScroll: true });
}

export function closeAll() {
  closeSheet(false);
  closeDialog();
}

export function sheetOpen() {
  return !$('sheet').hidden;
}

export function isOpen() {
  return !$('sheet').hidden || !$('dialog').hidden || !$('camera').hidden;
}

// The open layer on top: the dialog, else the sheet, else the camera.
function top() {
  return ['dialog', 'sheet', 'camera'].map($).find((el) => !el.hidden) || null;
}

export function install() {
  document.addEventListener('keydown', (e) => {
    const layer = top();
    if (!layer) return;
    if (e.key === 'Escape') {
      e.preventDefault();
      if (layer.id === 'dialog' && dialogEscape) dialogEscape();
      else if (layer.id === 'sheet') closeSheet();
      else if (layer.id === 'camera') $('camera-cancel').click();
      return;
    }
    if (e.key !== 'Tab') return;
    const items = focusable(layer);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    const inside = layer.contains(document.activeElement);
    if (e.shiftKey && (document.activeElement === first || !inside)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
      e.preventDefault();
      first.focus();
    }
  });
  $('sheet').addEventListener('click', (e) => { if (e.target === $('sheet')) closeSheet(); });
}
