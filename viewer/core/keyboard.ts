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
  const key = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (['ArrowRight', 'ArrowLeft', 'ArrowUp', 'ArrowDown', 'Home', 'End', '+', '=', '-', '_', 'f', 'F'].includes(e.key)) a.interact();
    let handled = true;
    switch (e.key) {
      case 'ArrowRight':
        a.step(1);
        break;
      case 'ArrowLeft':
        a.step(-1);
        break;
      case 'ArrowUp':
        a.row(-1);
        break;
      case 'ArrowDown':
        a.row(1);
        break;
      case 'Home':
        a.first();
        break;
      case 'End':
        a.last();
        break;
      case '+':
      case '=':
        a.zoom(1.5);
        break;
      case '-':
      case '_':
        a.zoom(1 / 1.5);
        break;
      case 'f':
      case 'F':
        a.fullscreen();
        break;
      case 'Escape':
        handled = a.escape();
        break;
      default:
        handled = false;
    }
    if (handled) e.preventDefault();
  };
  el.addEventListener('keydown', key);
  return { destroy: () => el.removeEventListener('keydown', key) };
}
