/* Charts in the page's language (#18): plotly.js knows English only, so the page's CLDR
 * month and day names and number marks (written into the page by dashapp/web/locale.py)
 * are registered as a plotly locale and made every chart's default. */
(function () {
  "use strict";
  var tag = document.getElementById("fw-locale");
  if (!tag) return;
  var locale = JSON.parse(tag.textContent);
  if (locale.name === "en") return;
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
