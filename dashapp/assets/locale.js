/* Charts in the page's language (#18): plotly.js knows English only, so the page's CLDR
 * month and day names and number marks (written into the page by dashapp/web/locale.py)
 * are registered as a plotly locale and made every chart's default. */
(function () {
  "use strict";
  var tag = document.getElementById("fw-locale");
  if (!tag) return;
  var locale = JSON.parse(tag.textContent);
  /* Dash's date pickers name months and days from window.dateFns.locale (vendor/02-…),
   * picking the browser's language there, else the first one registered: keep only the
   * page's, so a German page's picker is German in any browser, an English page's
   * English. The vendored locales load after this file (Dash loads assets/ before its
   * subfolders) and the pickers render after the page's layout has arrived. */
  document.addEventListener("DOMContentLoaded", function () {
    var registered = (window.dateFns && window.dateFns.locale) || {};
    Object.keys(registered).forEach(function (name) {
      if (name !== locale.name) delete registered[name];
    });
  });
  if (locale.name === "en") return;
  /* Dash's date pickers write their screen-reader labels in English, with no prop to
   * set them: put each in the page's language as it appears. */
  var labels = locale.labels || {};
  var english = Object.keys(labels).filter(function (k) { return labels[k] !== k; });
  if (english.length) {
    var selector = english.map(function (k) { return '[aria-label="' + k + '"]'; }).join(",");
    var translate = function () {
      document.querySelectorAll(selector).forEach(function (el) {
        el.setAttribute("aria-label", labels[el.getAttribute("aria-label")]);
      });
    };
    document.addEventListener("DOMContentLoaded", function () {
      translate();
      new MutationObserver(translate).observe(document.body, { childList: true, subtree: true });
    });
  }
  var tries = 0;
  function register() {
    if (!window.Plotly || !window.Plotly.register) {
      if (tries++ < 200) window.setTimeout(register, 50);
      return;
    }
    window.Plotly.register({ moduleType: "locale", name: locale.name, dictionary: {},
      format: locale.format });
    window.Plotly.setPlotConfig({ locale: locale.name });
  }
  register();
})();
