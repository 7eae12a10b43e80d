// A small element builder: h('button', {class: 'primary', onclick}, 'text').
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// A labelled input row of the bank's forms: label on the left, field on the right (below it when
// the text is large), the error for the field underneath (filled in by update()).
export function row(id, label, input, extra = null) {
  return h('div', { class: 'row', 'data-field': input.dataset.field || '' },
    h('label', { for: id, class: 'row-label' }, label),
    input,
    extra,
    h('p', { class: 'row-error', id: `${id}-error`, 'aria-live': 'polite' }));
}

export function input(id, field, placeholder, opts = {}) {
  return h('input', {
    id, name: id, class: 'row-input', placeholder, 'data-field': field,
    'aria-describedby': `${id}-error`, autocomplete: 'off', spellcheck: 'false', ...opts,
  });
}
