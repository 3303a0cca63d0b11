// A tiny DOM builder: h('div.cls', {attrs}, ...children). Strings become text nodes, so nothing
// passes through innerHTML except what html() marks as already-safe output of mrkdwn.js.
export function h(tag, attrs = {}, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'class') el.className += ` ${value}`;
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An element whose content is HTML produced by mrkdwn.js / plainText() (escaped there). */
export function html(tag, safeHtml, attrs = {}) {
  const el = h(tag, attrs);
  el.innerHTML = safeHtml;
  return el;
}
