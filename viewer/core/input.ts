/**
 * Pointer input for a spin (mouse, pen and touch through one path): drag, swipe, pinch, double-tap/double-click and
 * Ctrl+wheel zoom. It only reports gestures; the viewer decides what they do. Page scrolling is never trapped: on a
 * single-row spin the element has `touch-action: pan-y`, so a vertical swipe scrolls the page (the browser takes it
 * and sends pointercancel); only a spin with rows, or a zoomed one, takes vertical moves itself.
 */
export interface GestureHandlers {
  /** A drag began (any pointer down that moved past the slop). */
  start(): void;
  /** Movement in CSS pixels since the last call, with the timestamp (ms). `axis` is decided once per drag. */
  move(dx: number, dy: number, axis: 'x' | 'y', time: number): void;
  /** The drag ended; `cancelled` when the browser took the gesture over (scrolling). */
  end(cancelled: boolean, time: number): void;
  /** Two-finger pinch: scale factor since the last call, around (x, y) in element CSS pixels. */
  pinch(factor: number, x: number, y: number): void;
  /** Double-click or double-tap at (x, y). */
  doubleTap(x: number, y: number): void;
  /** Ctrl/⌘ + wheel (and trackpad pinch, which browsers send as ctrl+wheel): factor > 1 zooms in. */
  wheelZoom(factor: number, x: number, y: number): void;
  /** Any pointer down: autoplay stops. */
  interact(): void;
}

export interface Input {
  /** Which vertical gestures the element takes: 'pan-y' leaves vertical swipes to the page. */
  setTouchAction(value: 'pan-y' | 'none'): void;
  /** Whether vertical drags are for the viewer (a spin with rows). */
  setVertical(on: boolean): void;
  destroy(): void;
}

const SLOP = 6;
const DOUBLE_TAP_MS = 300;

export function createInput(el: HTMLElement, h: GestureHandlers): Input {
  const pointers = new Map<number, { x: number; y: number }>();
  let vertical = false;
  /** The one-finger (or mouse) drag; `held`: it is the finger left on the screen after a pinch (never a tap). */
  let drag: { id: number; x: number; y: number; axis: 'x' | 'y' | null; held?: boolean } | null = null;
  let pinchDist = 0;
  let lastTap = { t: 0, x: 0, y: 0 };
  let lastDouble = 0;
  const local = (e: { clientX: number; clientY: number }) => {
    const r = el.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const distance = () => {
    const [a, b] = [...pointers.values()];
    return a && b ? Math.hypot(a.x - b.x, a.y - b.y) : 0;
  };

  const down = (e: PointerEvent) => {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    h.interact();
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size === 1) {
      drag = { id: e.pointerId, x: e.clientX, y: e.clientY, axis: null };
    } else if (pointers.size === 2) {
      if (drag?.axis) h.end(true, e.timeStamp);
      drag = null;
      pinchDist = distance();
    }
  };
  const move = (e: PointerEvent) => {
    const p = pointers.get(e.pointerId);
    if (!p) return;
    p.x = e.clientX;
    p.y = e.clientY;
    if (pointers.size >= 2) {
      const d = distance();
      if (pinchDist > 0 && d > 0) {
        const [a, b] = [...pointers.values()];
        const c = local({ clientX: (a!.x + b!.x) / 2, clientY: (a!.y + b!.y) / 2 });
        h.pinch(d / pinchDist, c.x, c.y);
      }
      pinchDist = d;
      return;
    }
    if (!drag || drag.id !== e.pointerId) return;
    const dx = e.clientX - drag.x,
      dy = e.clientY - drag.y;
    if (!drag.axis) {
      if (Math.hypot(dx, dy) < SLOP) return;
      drag.axis = vertical && Math.abs(dy) > Math.abs(dx) ? 'y' : 'x';
      try {
        el.setPointerCapture(e.pointerId);
      } catch {
        // the pointer is already gone
      }
      h.start();
    }
    drag.x = e.clientX;
    drag.y = e.clientY;
    h.move(dx, dy, drag.axis, e.timeStamp);
  };
  const up = (e: PointerEvent) => {
    if (!pointers.delete(e.pointerId)) return;
    if (pointers.size < 2) pinchDist = 0;
    const cancelled = e.type === 'pointercancel';
    // One finger of a pinch lifted: the other one drags from where it is now, without being lifted first.
    if (pointers.size === 1 && !drag) {
      const [id, p] = [...pointers][0]!;
      drag = { id, ...p, axis: null, held: true };
      return;
    }
    if (drag && drag.id === e.pointerId) {
      const moved = drag.axis !== null;
      const held = drag.held;
      if (moved) h.end(cancelled, e.timeStamp);
      drag = null;
      // A tap (no drag) on a touch screen: two within 300 ms and 30 px are a double tap.
      if (!moved && !cancelled && !held && e.pointerType !== 'mouse') {
        const q = local(e);
        if (e.timeStamp - lastTap.t < DOUBLE_TAP_MS && Math.hypot(q.x - lastTap.x, q.y - lastTap.y) < 30) {
          lastTap.t = 0;
          lastDouble = e.timeStamp;
          h.doubleTap(q.x, q.y);
        } else lastTap = { t: e.timeStamp, ...q };
      }
    }
  };
  const dbl = (e: MouseEvent) => {
    // Touch double taps were handled above (some browsers also send dblclick for them).
    if (e.timeStamp - lastDouble < 500) return;
    const q = local(e);
    h.doubleTap(q.x, q.y);
  };
  const wheel = (e: WheelEvent) => {
    if (!e.ctrlKey && !e.metaKey) return; // plain wheel: the page scrolls
    e.preventDefault();
    h.interact();
    const q = local(e);
    const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    h.wheelZoom(Math.exp(-dy / 300), q.x, q.y);
  };
  const noDrag = (e: Event) => e.preventDefault();

  el.addEventListener('pointerdown', down);
  el.addEventListener('pointermove', move);
  el.addEventListener('pointerup', up);
  el.addEventListener('pointercancel', up);
  el.addEventListener('dblclick', dbl);
  el.addEventListener('wheel', wheel, { passive: false });
  el.addEventListener('dragstart', noDrag);
  el.style.touchAction = 'pan-y';
  el.style.userSelect = 'none';
  (el.style as CSSStyleDeclaration & { webkitUserSelect: string }).webkitUserSelect = 'none';

  return {
    setTouchAction(v) {
      el.style.touchAction = v;
    },
    setVertical(on) {
      vertical = on;
    },
    destroy() {
      el.removeEventListener('pointerdown', down);
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
      el.removeEventListener('pointercancel', up);
      el.removeEventListener('dblclick', dbl);
      el.removeEventListener('wheel', wheel);
      el.removeEventListener('dragstart', noDrag);
    },
  };
}
