/** Hostile story Markdown shared by the story unit test and the browser test of the built page. */

/** Story payloads that must come out inert (each one was checked to run or link when rendered naively). */
export const STORY_XSS = [
  '<script>window.__xss=5</script>',
  '<img src=x onerror="window.__xss=6">',
  '[a](javascript:window.__xss=7)',
  '[b](JaVaScRiPt:window.__xss=8)',
  '[c](javascript&#58;window.__xss=9)',
  '[d](&#106;avascript:window.__xss=10)',
  '[e](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTE8L3NjcmlwdD4=)',
  '![f](javascript:window.__xss=12)',
  '[g](vbscript:msgbox(1))',
  '[h](//evil.example/x)',
  '<iframe src="javascript:window.__xss=13"></iframe>',
  '<a href="javascript:window.__xss=14">i</a>',
  '[j](<javascript:window.__xss=15>)',
  '[k](java\tscript:window.__xss=16)',
  '<details open ontoggle="window.__xss=17">x</details>',
  '[l](file:///etc/passwd)',
  '[m](../../other-product/)',
  '<svg><script>window.__xss=18</script></svg>',
  '[n](%2e%2e/%2e%2e/other-site/)',
  '[o](photos/%2E%2E/%2E%2E/x)',
];
