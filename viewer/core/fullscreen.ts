/**
 * Fullscreen: the Fullscreen API where it exists, else (iPhone Safari) a CSS fallback that pins the element over the
 * page (`data-xoay-fullscreen`, styled by the element) and stops the page behind from scrolling. Escape leaves both.
 */
export interface Fullscreen {
  readonly active: boolean;
  toggle(): Promise<void>;
  exit(): Promise<void>;
  destroy(): void;
}

export function createFullscreen(el: HTMLElement, onChange: (active: boolean) => void): Fullscreen {
  let css = false;
  let overflow = '';
  const api = typeof el.requestFullscreen === 'function' && document.fullscreenEnabled !== false;
  // Inside a shadow root, document.fullscreenElement is the host: ask the element's own root.
  const native = () => (el.getRootNode() as Document | ShadowRoot).fullscreenElement === el;
  const changed = () => onChange(native() || css);
  document.addEventListener('fullscreenchange', changed);
  const setCss = (on: boolean) => {
    if (on === css) return;
    css = on;
    if (on) {
      overflow = document.documentElement.style.overflow;
      document.documentElement.style.overflow = 'hidden';
      el.setAttribute('data-xoay-fullscreen', '');
    } else {
      document.documentElement.style.overflow = overflow;
      el.removeAttribute('data-xoay-fullscreen');
    }
    changed();
  };
  const fs: Fullscreen = {
    get active() {
      return native() || css;
    },
    async toggle() {
      if (fs.active) return fs.exit();
      if (api) {
        try {
          await el.requestFullscreen();
          return;
        } catch {
          // refused (no user gesture, iframe without allowfullscreen): fall back to CSS
        }
      }
      setCss(true);
    },
    async exit() {
      if (native()) await document.exitFullscreen().catch(() => {});
      if (css) setCss(false);
    },
    destroy() {
      document.removeEventListener('fullscreenchange', changed);
      if (css) setCss(false);
      else if (native()) void document.exitFullscreen().catch(() => {});
    },
  };
  return fs;
}
