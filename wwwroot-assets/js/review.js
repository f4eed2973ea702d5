// Keyboard-first review: single keys act, except while typing, where only Esc and Ctrl+Enter do.
const handled = new Set(['a', 'r', 'e', 's', 'f', 'j', 'k', 'u', '?', 'ArrowRight', 'ArrowLeft', 'Escape', 'Enter',
  '1', '2', '3', '4', '5', '6', '7', '8', '9', 'z', 'm', 't', 'v', 'x', 'y', 'n', 'Delete', 'Backspace']);

export function attachKeys(dotnet) {
  const onKey = event => {
    const target = event.target;
    const typing = target && (target.tagName === 'TEXTAREA' || target.tagName === 'INPUT' || target.isContentEditable);
    const ctrl = event.ctrlKey || event.metaKey;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (event.altKey || !handled.has(key)) return;
    // A plain Enter belongs to the focused button or link (keyboard users press them with it); only Ctrl+Enter saves.
    if (key === 'Enter' && !ctrl) return;
    if (typing && !(key === 'Escape' || (key === 'Enter' && ctrl))) return;
    if (!typing && ctrl && key !== 'z' && key !== 'Enter') return;
    event.preventDefault();
    // Whether the workspace had focus: it keeps it through the next pair, so the server need not move it.
    dotnet.invokeMethodAsync('OnKeyAsync', key, ctrl, event.shiftKey, document.activeElement?.id === 'review-workspace');
  };
  document.addEventListener('keydown', onKey);
  return { dispose: () => document.removeEventListener('keydown', onKey) };
}

// Wheel zooms around the pointer, drag pans, double-click fits the image back. With the frame focused, + and -
// zoom around the centre, the arrow keys pan a zoomed image (unzoomed, they still move between pairs) and 0 fits.
// A frame removed before this call arrives (fast keys moved to an image pair) gets no zoom: null, not an error.
export function attachZoom(frame) {
  if (!frame || !frame.isConnected) return null;
  const image = frame.querySelector('img');
  let scale = 1, x = 0, y = 0, drag = null;
  const apply = () => {
    if (image) image.style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
    frame.dataset.zoom = scale.toFixed(2);
    frame.dataset.pan = `${Math.round(x)},${Math.round(y)}`;
  };
  const zoomAt = (px, py, factor) => {
    const next = Math.min(8, Math.max(1, scale * factor));
    x -= (px - x) * (next / scale - 1); y -= (py - y) * (next / scale - 1); scale = next;
    if (scale === 1) { x = 0; y = 0; }
    apply();
  };
  const onWheel = e => {
    e.preventDefault();
    const rect = frame.getBoundingClientRect();
    zoomAt(e.clientX - rect.left, e.clientY - rect.top, e.deltaY < 0 ? 1.2 : 1 / 1.2);
  };
  const pans = { ArrowLeft: [40, 0], ArrowRight: [-40, 0], ArrowUp: [0, 40], ArrowDown: [0, -40] };
  const onKeyDown = e => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === '+' || e.key === '=') zoomAt(frame.clientWidth / 2, frame.clientHeight / 2, 1.25);
    else if (e.key === '-' || e.key === '_') zoomAt(frame.clientWidth / 2, frame.clientHeight / 2, 0.8);
    else if (e.key === '0') reset();
    else if (pans[e.key] && scale > 1) { x += pans[e.key][0]; y += pans[e.key][1]; apply(); }
    else return;
    e.preventDefault();
    e.stopPropagation(); // the page's own shortcuts do not see these keys
  };
  const onDown = e => { drag = { sx: e.clientX - x, sy: e.clientY - y }; frame.setPointerCapture(e.pointerId); };
  const onMove = e => { if (drag && scale > 1) { x = e.clientX - drag.sx; y = e.clientY - drag.sy; apply(); } };
  const onUp = () => { drag = null; };
  const reset = () => { scale = 1; x = 0; y = 0; apply(); };
  frame.addEventListener('wheel', onWheel, { passive: false });
  frame.addEventListener('keydown', onKeyDown);
  frame.addEventListener('pointerdown', onDown);
  frame.addEventListener('pointermove', onMove);
  frame.addEventListener('pointerup', onUp);
  frame.addEventListener('dblclick', reset);
  // The next pair starts at its fit when the workspace shows another pair: no call from the server per decision.
  const workspace = frame.closest('[data-pair-id]');
  const nextPair = workspace ? new MutationObserver(reset) : null;
  nextPair?.observe(workspace, { attributes: true, attributeFilter: ['data-pair-id'] });
  return {
    reset,
    dispose: () => {
      nextPair?.disconnect();
      frame.removeEventListener('wheel', onWheel);
      frame.removeEventListener('keydown', onKeyDown);
      frame.removeEventListener('pointerdown', onDown);
      frame.removeEventListener('pointermove', onMove);
      frame.removeEventListener('pointerup', onUp);
      frame.removeEventListener('dblclick', reset);
    },
  };
}

// A modal dialog keeps Tab inside itself and, when released, gives focus back to where it was.
export function trapFocus(id) {
  const dialog = document.getElementById(id);
  const previous = document.activeElement;
  const focusables = () => [...dialog.querySelectorAll('button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])')].filter(el => !el.disabled);
  const onKey = e => {
    if (e.key !== 'Tab') return;
    const items = focusables();
    if (items.length === 0) { e.preventDefault(); dialog.focus(); return; }
    const first = items[0], last = items[items.length - 1];
    if (e.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && (document.activeElement === last || !dialog.contains(document.activeElement))) { e.preventDefault(); first.focus(); }
  };
  document.addEventListener('keydown', onKey, true);
  (focusables()[0] ?? dialog).focus();
  return {
    release: () => {
      document.removeEventListener('keydown', onKey, true);
      if (previous && document.contains(previous)) previous.focus();
      else document.getElementById('review-workspace')?.focus();
    },
  };
}

export function focusElement(id) {
  const el = document.getElementById(id);
  if (el && document.activeElement !== el) { el.focus(); if (el.setSelectionRange) el.setSelectionRange(el.value.length, el.value.length); }
}

// A mouse selection over an answer's words, as character offsets into the answer (each word carries its own).
export function attachSpanSelection(element, dotnet) {
  if (!element) return { dispose: () => {} };
  const offsetOf = (node, offset) => {
    const word = (node.nodeType === Node.TEXT_NODE ? node.parentElement : node)?.closest('[data-start]');
    if (!word || !element.contains(word)) return null;
    return Number(word.dataset.start) + (node.nodeType === Node.TEXT_NODE ? offset : 0);
  };
  const onUp = (event) => {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed) {
      // A click: the cursor goes to the word clicked (one listener here instead of a .NET handler per word).
      const word = event.target.closest?.('[data-word]');
      if (word && element.contains(word)) dotnet.invokeMethodAsync('OnWordClickedAsync', Number(word.dataset.word));
      return;
    }
    const a = offsetOf(selection.anchorNode, selection.anchorOffset), b = offsetOf(selection.focusNode, selection.focusOffset);
    if (a === null || b === null) return;
    dotnet.invokeMethodAsync('OnTextSelectedAsync', Math.min(a, b), Math.max(a, b));
  };
  element.addEventListener('mouseup', onUp);
  return { dispose: () => element.removeEventListener('mouseup', onUp) };
}
