// Keyboard-first review: single keys act, except while typing, where only Esc and Ctrl+Enter do.
const handled = new Set(['a', 'r', 'e', 's', 'f', 'j', 'k', 'u', '?', 'ArrowRight', 'ArrowLeft', 'Escape', 'Enter',
  '1', '2', '3', '4', '5', '6', '7', '8', '9', 'z']);

export function attachKeys(dotnet) {
  const onKey = event => {
    const target = event.target;
    const typing = target && (target.tagName === 'TEXTAREA' || target.tagName === 'INPUT' || target.isContentEditable);
    const ctrl = event.ctrlKey || event.metaKey;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (event.altKey || !handled.has(key)) return;
    if (typing && !(key === 'Escape' || (key === 'Enter' && ctrl))) return;
    if (!typing && ctrl && key !== 'z' && key !== 'Enter') return;
    event.preventDefault();
    dotnet.invokeMethodAsync('OnKeyAsync', key, ctrl, event.shiftKey);
  };
  document.addEventListener('keydown', onKey);
  return { dispose: () => document.removeEventListener('keydown', onKey) };
}

// Wheel zooms around the pointer, drag pans, double-click fits the image back.
export function attachZoom(frame) {
  const image = frame.querySelector('img');
  let scale = 1, x = 0, y = 0, drag = null;
  const apply = () => { if (image) image.style.transform = `translate(${x}px, ${y}px) scale(${scale})`; };
  const onWheel = e => {
    e.preventDefault();
    const rect = frame.getBoundingClientRect();
    const px = e.clientX - rect.left - x, py = e.clientY - rect.top - y;
    const next = Math.min(8, Math.max(1, scale * (e.deltaY < 0 ? 1.2 : 1 / 1.2)));
    x -= px * (next / scale - 1); y -= py * (next / scale - 1); scale = next;
    if (scale === 1) { x = 0; y = 0; }
    apply();
  };
  const onDown = e => { drag = { sx: e.clientX - x, sy: e.clientY - y }; frame.setPointerCapture(e.pointerId); };
  const onMove = e => { if (drag && scale > 1) { x = e.clientX - drag.sx; y = e.clientY - drag.sy; apply(); } };
  const onUp = () => { drag = null; };
  const reset = () => { scale = 1; x = 0; y = 0; apply(); };
  frame.addEventListener('wheel', onWheel, { passive: false });
  frame.addEventListener('pointerdown', onDown);
  frame.addEventListener('pointermove', onMove);
  frame.addEventListener('pointerup', onUp);
  frame.addEventListener('dblclick', reset);
  return {
    reset,
    dispose: () => {
      frame.removeEventListener('wheel', onWheel);
      frame.removeEventListener('pointerdown', onDown);
      frame.removeEventListener('pointermove', onMove);
      frame.removeEventListener('pointerup', onUp);
      frame.removeEventListener('dblclick', reset);
    },
  };
}

export function focusElement(id) {
  const el = document.getElementById(id);
  if (el) { el.focus(); if (el.setSelectionRange) el.setSelectionRange(el.value.length, el.value.length); }
}

// A phone-sized window: the page folds its filters away at first.
export function isNarrow() {
  return window.matchMedia('(max-width: 700px)').matches;
}
