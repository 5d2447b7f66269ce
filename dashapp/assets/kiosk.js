/* Kiosk rotation, entirely in the browser: one page at a time, a progress bar,
 * space pauses, arrows step, night mode dims. The position is kept in the
 * URL fragment (#page=N) so a reload resumes where the screen was. */
(function () {
  "use strict";

  // How long before a page shows its data is asked for.
  var LEAD_MS = 2000;

  function state(count) {
    if (!window.fwKiosk) {
      var match = /page=(\d+)/.exec(window.location.hash);
      window.fwKiosk = {
        index: match ? parseInt(match[1], 10) % count : 0,
        shownAt: Date.now(),
        paused: false,
        pausedAt: 0,
        step: 0,
      };
    }
    return window.fwKiosk;
  }

  function show(k, index, count) {
    k.index = ((index % count) + count) % count;
    k.shownAt = Date.now();
    if (k.paused) k.pausedAt = k.shownAt;
    window.history.replaceState(null, "", "#page=" + k.index);
    // Charts drawn while hidden have no size yet: let Plotly measure again.
    window.setTimeout(function () {
      window.dispatchEvent(new Event("resize"));
    }, 30);
  }

  document.addEventListener("keydown", function (event) {
    var k = window.fwKiosk;
    if (!k) return;
    if (event.code === "Space") {
      k.paused = !k.paused;
      if (k.paused) k.pausedAt = Date.now();
      else k.shownAt += Date.now() - k.pausedAt;
      event.preventDefault();
    } else if (event.code === "ArrowRight") {
      k.step += 1;
    } else if (event.code === "ArrowLeft") {
      k.step -= 1;
    }
  });

  /* Ask the server for the panels of page *name* now (they skip their polls while hidden). */
  function ask(k, name) {
    if (k.asked === name) return;
    k.asked = name;
    var page = document.querySelector('.fw-kiosk-page[data-page="' + name + '"]');
    if (!page) return;
    page.querySelectorAll("[data-poll]").forEach(function (body) {
      window.dash_clientside.set_props(body.dataset.poll, { data: Date.now() });
    });
  }

  function isNight(night) {
    if (!night) return false;
    var hour = new Date().getHours();
    return night[0] <= night[1] ? hour >= night[0] && hour < night[1] : hour >= night[0] || hour < night[1];
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    kiosk: {
      /* Kiosk.CLOCK tick -> which page shows, the progress bar, the root's classes. */
      rotate: function (_n, config, alerts) {
        // The alert page joins the rotation while a cell has dropped significantly.
        var names = alerts > 0 ? config.pages.concat(config.standby) : config.pages;
        var count = names.length;
        var k = state(count);
        var period = config.interval * 1000;
        if (k.step) {
          show(k, k.index + k.step, count);
          k.step = 0;
        }
        var elapsed = (k.paused ? k.pausedAt : Date.now()) - k.shownAt;
        if (!k.paused && elapsed >= period && count > 1) {
          show(k, k.index + 1, count);
          elapsed = 0;
        }
        if (k.index >= count) show(k, 0, count);
        var current = names[k.index];
        // The next page is fetched a little before it shows, so it appears fresh;
        // a page reached any other way (start, arrow keys, the alert) is fetched as it shows.
        if (!k.paused && count > 1 && period - elapsed <= LEAD_MS) {
          ask(k, names[(k.index + 1) % count]);
        } else if (elapsed < period - LEAD_MS) {
          ask(k, current);
        }
        var styles = config.pages.concat(config.standby).map(function (name) {
          return { display: name === current ? "block" : "none" };
        });
        var progress = { width: (100 * Math.min(1, elapsed / period)).toFixed(2) + "%" };
        var classes = "fw-kiosk theme-" + config.theme;
        if (k.paused) classes += " fw-paused";
        if (isNight(config.night)) classes += " fw-night";
        return [styles, progress, classes];
      },
    },
  });
})();
