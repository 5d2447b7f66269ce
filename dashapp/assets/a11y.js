/* Repairs of Dash 4 component markup that screen readers and axe-core stumble on (#18):
   - a dropdown's keyboard focus target is focusable but marked aria-hidden: a keyboard
     user lands on something a screen reader says nothing about. It is named instead.
   - the date range's wrapper carries aria-expanded/aria-haspopup without a role, around
     the two date inputs (which are the controls people use): it becomes a named group.
   Runs on every change of the page (Dash renders late and re-renders). */
(function () {
  "use strict";
  function nameOf(wrapper) {
    const shown = wrapper.querySelector(".dash-dropdown-value, .dash-dropdown-placeholder");
    const text = shown ? shown.textContent.trim() : "";
    return text || wrapper.getAttribute("aria-label") || "";
  }
  function repair(root) {
    root.querySelectorAll(".dash-dropdown-wrapper [aria-hidden='true']").forEach(function (el) {
      if (el.matches("input, button, [tabindex]:not([tabindex='-1'])")) {
        el.removeAttribute("aria-hidden");
        const wrapper = el.closest(".dash-dropdown-wrapper");
        const name = wrapper ? nameOf(wrapper) : "";
        if (name && !el.getAttribute("aria-label")) el.setAttribute("aria-label", name);
      }
    });
    root.querySelectorAll("div[aria-haspopup='dialog']").forEach(function (el) {
      el.removeAttribute("aria-haspopup");
      el.removeAttribute("aria-expanded");
      el.setAttribute("role", "group");
    });
  }
  let queued = false;
  const observer = new MutationObserver(function () {
    if (queued) return;
    queued = true;
    window.requestAnimationFrame(function () {
      queued = false;
      repair(document);
    });
  });
  function start() {
    repair(document);
    observer.observe(document.body, {childList: true, subtree: true, attributes: true,
      attributeFilter: ["aria-hidden", "aria-haspopup"]});
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
