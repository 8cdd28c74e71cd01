// Record lists and the top bar's search (a file, not inline script: the Content-Security-Policy).
(function () {
  "use strict";
  function bulkForm(el) { return el instanceof Element ? el.closest("form.bulk-form") : null; }
  function refresh(form) {
    var boxes = form.querySelectorAll("input[name=ids]");
    var checked = form.querySelectorAll("input[name=ids]:checked").length;
    var counter = form.querySelector("[data-selected-count]");
    if (counter) { counter.textContent = String(checked); }
    var all = form.querySelector("[data-select-all]");
    if (all) { all.checked = boxes.length > 0 && checked === boxes.length; }
    // The bar appears once something is selected (the rows keep the screen until then).
    var bar = form.querySelector(".bulk-bar");
    if (bar) { bar.hidden = checked === 0; }
    var action = form.querySelector("select[name=action]");
    form.querySelectorAll("[data-for-action]").forEach(function (el) {
      el.hidden = !action || el.getAttribute("data-for-action") !== action.value;
    });
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    var form = bulkForm(target);
    if (!form) { return; }
    if (target.hasAttribute("data-select-all")) {
      form.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = target.checked; });
    }
    refresh(form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.bulk-form").forEach(refresh);
  });
  document.addEventListener("htmx:afterSwap", function () {
    document.querySelectorAll("form.bulk-form").forEach(refresh);
  });
  // The search suggestions close on Escape and on a click elsewhere.
  function closeSuggestions() {
    var panel = document.getElementById("topbar-search-results");
    if (panel) { panel.innerHTML = ""; }
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeSuggestions(); }
  });
  document.addEventListener("click", function (event) {
    if (event.target instanceof Element && !event.target.closest(".topbar-search")) { closeSuggestions(); }
  });
})();
