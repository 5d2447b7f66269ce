/* Charts in the page's language (#18): plotly.js knows English only, so the page's CLDR
 * month and day names and number marks (written into the page by dashapp/web/locale.py)
 * are registered as a plotly locale and made every chart's default. */
(function () {
  "use strict";
  var tag = document.getElementById("fw-locale");
  if (!tag) return;
  var locale = JSON.parse(tag.textContent);
  /* Dash's date pickers name months and days through date-fns, from window.dateFns.locale
   * (the browser's language there, else the first registered). One is registered: the
   * page's, built from its CLDR names (dashapp/i18n/formats.py:date_fns_names), so a
   * German page's picker is German in any browser and every language of the app has one. */
  window.dateFns = window.dateFns || {};
  window.dateFns.locale = {};
  window.dateFns.locale[locale.name] = dateFnsLocale(locale.name, locale.dates);
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
  /* Registered before plotly.js draws: at once if it has loaded, else through the list
   * plotly.js registers when it loads (it is fetched with the first chart). Each chart
   * names this locale in its config (layouts/controls.py:graph). */
  var plotlyLocale = { moduleType: "locale", name: locale.name, dictionary: {},
    format: locale.format };
  if (window.Plotly && window.Plotly.register) {
    window.Plotly.register(plotlyLocale);
  } else {
    window.PlotlyLocales = (window.PlotlyLocales || []).concat([plotlyLocale]);
  }

  function dateFnsLocale(code, names) {
    function named(table) {
      return function (index, options) {
        var context = table[(options && options.context) || "formatting"] || table.formatting;
        return (context[(options && options.width) || "wide"] || context.wide)[index];
      };
    }
    function pattern(table) {
      return function (options) { return table[(options && options.width) || "full"] || table.full; };
    }
    return {
      code: code,
      localize: {
        /* CLDR's ordinals are rules, not a suffix; no picker format here asks for one. */
        ordinalNumber: function (n) { return String(n); },
        era: function (index, options) {
          return (names.eras[(options && options.width) || "wide"] || names.eras.wide)[index];
        },
        /* date-fns passes quarters 1-4, as its own locales' callbacks expect. */
        quarter: function (quarter, options) { return named(names.quarters)(quarter - 1, options); },
        month: named(names.months),
        day: named(names.days),
        dayPeriod: function (period) { return names.periods[period] || period; }
      },
      formatLong: {
        date: pattern(names.date),
        time: pattern(names.time),
        dateTime: pattern(names.dateTime)
      },
      /* Nothing parses names: the pickers read YYYY-MM-DD. */
      match: {},
      options: { weekStartsOn: names.weekStartsOn, firstWeekContainsDate: 4 }
    };
  }
})();
