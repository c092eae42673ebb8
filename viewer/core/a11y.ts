/**
 * Screen readers: the spin is a slider (its value is the angle), with the editor's `alt` as its label and a polite
 * live region that announces the angle once the turning settles (not on every frame).
 */
import { fill, type SpinStrings } from './i18n.js';

export interface A11y {
  update(angle: number, row: number, rows: number): void;
  destroy(): void;
}

export function createA11y(host: HTMLElement, live: HTMLElement, label: string, t: SpinStrings, delay = 600): A11y {
  host.setAttribute('role', 'slider');
  host.setAttribute('aria-roledescription', t.spinRole);
  host.setAttribute('aria-label', label || t.spinLabel);
  host.setAttribute('aria-valuemin', '0');
  host.setAttribute('aria-valuemax', '359');
  if (!host.hasAttribute('tabindex')) host.tabIndex = 0;
  live.setAttribute('aria-live', 'polite');
  live.setAttribute('aria-atomic', 'true');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = '';
  return {
    update(angle, row, rows) {
      const deg = Math.round(angle) % 360;
      const text = rows > 1 ? fill(t.angleRow, deg, row + 1, rows) : `${deg}°`;
      host.setAttribute('aria-valuenow', String(deg));
      host.setAttribute('aria-valuetext', text);
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (text !== last) live.textContent = fill(t.turned, text);
        last = text;
      }, delay);
    },
    destroy() {
      clearTimeout(timer); // the attributes go with the host, which the viewer removes
    },
  };
}
