/* Feedback Wall in the browser: "updated" stamp, screen scale, heartbeat with
 * offline/stale banner and backoff, one reload when the server's version
 * changes, and a cursor that hides on still kiosk screens. */
(function () {
  "use strict";

  var wall = (window.fwWall = window.fwWall || { lastData: null });

  function hhmm(date, seconds) {
    var opts = { hour: "2-digit", minute: "2-digit", hour12: false };
    if (seconds) opts.second = "2-digit";
    // The page's language (<html lang>), not the browser's: a German wall says 14:05.
    return date.toLocaleTimeString(document.documentElement.lang || [], opts);
  }

  /* A text of the page's language, given by the server (layouts/shell.py), with
   * {time} filled in; the English words when the page carries none. */
  function say(name, fallback, time) {
    var el = document.getElementById("fw-settings");
    var text = (el && el.dataset[name]) || fallback;
    return text.replace("{time}", time);
  }

  function settings() {
    var el = document.getElementById("fw-settings");
    return {
      pollMs: el ? parseInt(el.dataset.pollMs, 10) || 5000 : 5000,
      version: el ? el.dataset.version : null,
    };
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    wall: {
      /* Shell.STAMP -> Shell.UPDATED: server time of the newest data, in local time. */
      updated: function (stamp) {
        if (!stamp) return window.dash_clientside.no_update;
        wall.lastData = Date.now();
        return say("textUpdated", "updated {time}", hhmm(new Date(stamp), true));
      },
      /* Panels.TICK_* -> Panels.POLL_*: a panel asks the server only while it is
       * on screen. A panel on a hidden kiosk page waits; the rotation asks for
       * it just before showing it (assets/kiosk.js). */
      poll: function (n) {
        var id = window.dash_clientside.callback_context.outputs_list.id;
        var body = document.querySelector('[data-poll="' + id + '"]');
        var page = body && body.closest(".fw-kiosk-page");
        if (page && page.style.display === "none") return window.dash_clientside.no_update;
        return n;
      },
      /* Screen scale for chart fonts (14 px at scale 1): on a desk 1 at 1920 px wide, 2 on
       * 4K; on a wall (the kiosk) the wall's type, 3.9vh (42 px at 1080p: README "Font
       * size from 4 m"), so chart text is never smaller than the page's. */
      scale: function (pathname) {
        if (/\/kiosk\/?$/.test(pathname || "")) {
          return Math.max(1, (window.innerHeight * 0.039) / 14);
        }
        return Math.max(0.6, Math.min(3, window.innerWidth / 1920));
      },
    },
  });

  function banner(text, kind) {
    var el = document.getElementById("fw-banner");
    if (!el) {
      el = document.createElement("div");
      el.id = "fw-banner";
      el.setAttribute("role", "status");
      document.body.appendChild(el);
    }
    el.textContent = text;
    el.className = text ? "fw-banner fw-banner-" + kind : "fw-banner fw-hidden";
  }

  var beat = { failingSince: null, delay: null };

  function heartbeat() {
    var cfg = settings();
    if (beat.delay === null) beat.delay = cfg.pollMs;
    fetch("/api/v1/version", { cache: "no-store" })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) {
          // Signed out, or this screen's display link was revoked: the server's
          // page says which (a plain page without this script, so no loop).
          window.location.reload();
          return null;
        }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (body) {
        if (body === null) return;
        if (cfg.version && body.version !== cfg.version) {
          // A restarted or upgraded server: load its new code once.
          window.location.reload();
          return;
        }
        beat.failingSince = null;
        beat.delay = cfg.pollMs;
        var stale = wall.lastData && Date.now() - wall.lastData > 3 * cfg.pollMs;
        var since = stale ? hhmm(new Date(wall.lastData)) : "";
        banner(stale ? say("textStale", "⚠ Data stale since {time}", since) : "", "stale");
      })
      .catch(function () {
        if (!beat.failingSince) beat.failingSince = new Date();
        var offline = "⛔ Offline since {time} · showing the last data · retrying";
        banner(say("textOffline", offline, hhmm(beat.failingSince)), "offline");
        beat.delay = Math.min(beat.delay * 2, 60000);
      })
      .finally(function () {
        window.setTimeout(heartbeat, beat.delay);
      });
  }

  var cursorTimer = null;
  function stirCursor() {
    document.body.classList.remove("fw-cursor-hidden");
    window.clearTimeout(cursorTimer);
    cursorTimer = window.setTimeout(function () {
      document.body.classList.add("fw-cursor-hidden");
    }, 3000);
  }

  /* Cards keep their DOM node by position, so mark the ones whose comment is new. */
  var seen = new Set();
  function markNew() {
    var cards = document.querySelectorAll(".fw-feed-item");
    var first = seen.size === 0;
    cards.forEach(function (card) {
      var id = card.dataset.id;
      if (!seen.has(id)) {
        seen.add(id);
        if (!first) {
          card.classList.remove("fw-new");
          void card.offsetWidth; // restart the animation on a reused node
          card.classList.add("fw-new");
        }
      }
    });
    if (seen.size > 500) seen = new Set(Array.prototype.map.call(cards, function (c) { return c.dataset.id; }));
  }

  window.addEventListener("load", function () {
    new MutationObserver(markNew).observe(document.body, { childList: true, subtree: true });
    window.setTimeout(heartbeat, settings().pollMs);
    document.addEventListener("mousemove", stirCursor);
    stirCursor();
  });
})();
