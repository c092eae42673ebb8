/** Keyboard: ←/→ turn a frame, ↑/↓ change row, Home/End first/last frame, +/− zoom, F fullscreen, Escape leaves zoom and fullscreen. */
export interface KeyActions {
  step(frames: number): void;
  row(delta: number): void;
  first(): void;
  last(): void;
  zoom(factor: number): void;
  fullscreen(): void;
  escape(): boolean;
  interact(): void;
}

export function createKeyboard(el: HTMLElement, a: KeyActions): { destroy(): void } {
  // Each key's action; Escape's says whether it did anything (otherwise the page keeps the key).
  const keys: Record<string, () => unknown> = {
    ArrowRight: () => a.step(1),
    ArrowLeft: () => a.step(-1),
    ArrowUp: () => a.row(-1),
    ArrowDown: () => a.row(1),
    Home: () => a.first(),
    End: () => a.last(),
    '+': () => a.zoom(1.5),
    '=': () => a.zoom(1.5),
    '-': () => a.zoom(1 / 1.5),
    f: () => a.fullscreen(),
    F: () => a.fullscreen(),
    Escape: () => a.escape(),
  };
  const key = (e: KeyboardEvent) => {
    const act = keys[e.key];
    if (!act || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key !== 'Escape') a.interact(); // stop autoplay and inertia first, so the step lands where it should
    if (act() !== false) e.preventDefault();
  };
  el.addEventListener('keydown', key);
  return { destroy: () => el.removeEventListener('keydown', key) };
}
