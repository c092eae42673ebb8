/**
 * The interaction hint: a small badge ("↔ Drag to turn" / "↔ Kéo để xoay") in the stage's bottom-left corner, shown
 * once the view can be turned, gone for good at the first interaction with the element (pointer, key, wheel). Small
 * and in a corner, so it stays off the product (which the viewer centres); `pointer-events: none`, so it never takes
 * a drag. Its arrow nudges left and right; under prefers-reduced-motion it stands still, and the badge stays: it
 * tells that the picture turns, which is information, not motion. Hidden from screen readers: they hear the slider's
 * role and keys instead.
 */
const CSS =
  '.xoay-hint{position:absolute;left:8px;bottom:8px;max-width:40%;padding:2px 8px;border-radius:9px;background:#000a;color:#fff;font-size:12px;pointer-events:none}' +
  '.xoay-hint b{display:inline-block;margin-right:4px;animation:xoay-nudge 1.5s infinite}' +
  '@keyframes xoay-nudge{50%{transform:translateX(3px)}}' +
  '@media (prefers-reduced-motion:reduce){.xoay-hint b{animation:none}}';

/**
 * Watches `host` for its first interaction; the function returned shows the hint with `text` in `stage` (null
 * removes it; an empty text shows none: how an embedder turns it off), unless that interaction has happened.
 */
export function createHint(host: HTMLElement): (stage: HTMLElement | null, text?: string) => void {
  let done = false;
  let shown: HTMLElement | null = null;
  const end = () => {
    done = true;
    shown?.remove();
  };
  for (const type of ['pointerdown', 'keydown', 'wheel']) host.addEventListener(type, end, { capture: true, passive: true });
  return (stage, text = '') => {
    shown?.remove();
    if (done || !stage || !text) return; // no words (strings { hint: '' }): no hint
    shown = document.createElement('div');
    shown.className = 'xoay-hint';
    shown.setAttribute('aria-hidden', 'true');
    shown.innerHTML = `<style>${CSS}</style><b>↔</b><span></span>`; // constants only; the text is set as text
    shown.lastChild!.textContent = text;
    stage.append(shown);
  };
}
