// Small behaviours for every page, kept in a file so that the Content-Security-Policy can refuse inline
// script and event-handler attributes.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // The Menu button of the top bar on a phone: shows or hides the navigation.
  document.addEventListener("click", function (event) {
    var toggle = event.target instanceof Element ? event.target.closest("[data-nav-toggle]") : null;
    if (!toggle) {
      return;
    }
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    if (nav) {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });
  // One menu or popover open at a time: a click outside an open <details> closes it.
  document.addEventListener("click", function (event) {
    var inside = event.target instanceof Element ? event.target.closest("details") : null;
    document.querySelectorAll("details[open]").forEach(function (details) {
      if (details !== inside && !details.contains(inside)) {
        details.removeAttribute("open");
      }
    });
  });
  // Esc closes open popovers and menus and gives the focus back to what opened them.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var open = document.querySelectorAll("details[open]");
    open.forEach(function (details) {
      details.removeAttribute("open");
    });
    if (open.length) {
      var summary = open[open.length - 1].querySelector("summary");
      if (summary) {
        summary.focus();
      }
    }
  });
  // <select data-autosubmit>: choosing an option submits its form (replaces onchange="this.form.submit()").
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    }
  });
  // <button class="copy-button" data-copy="element-id">: copies that element's text.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest(".copy-button[data-copy]") : null;
    if (!button) {
      return;
    }
    var source = document.getElementById(button.dataset.copy);
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent).then(function () { button.textContent = "Copied"; });
    }
  });
  // <a data-history-back>: goes back to the previous page (replaces href="javascript:history.back()").
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a[data-history-back]") : null;
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
