// The inbox by keyboard: j/k move between leads, a accepts, l opens "Log…", r opens "Reject…", o opens the
// lead (Esc closes popovers: accord.js). A file, not inline script, so the Content-Security-Policy holds.
(function () {
  "use strict";
  var currentLead = null;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr.inbox-row[data-lead]"));
  }

  function current() {
    return currentLead ? document.querySelector('tr.inbox-row[data-lead="' + currentLead + '"]') : null;
  }

  function select(row) {
    rows().forEach(function (r) { r.classList.remove("is-current"); });
    if (!row) {
      return;
    }
    currentLead = row.dataset.lead;
    row.classList.add("is-current");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = rows();
    if (!all.length) {
      return;
    }
    var at = all.indexOf(current());
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(at + step, 0), all.length - 1);
    select(all[next]);
  }

  function openPopover(row, action) {
    var summary = row.querySelector('summary[data-action="' + action + '"]');
    if (!summary) {
      return;
    }
    document.querySelectorAll("details[open]").forEach(function (d) { d.removeAttribute("open"); });
    summary.parentElement.setAttribute("open", "");
    var field = summary.parentElement.querySelector("select, textarea, input:not([type=hidden])");
    if (field) {
      field.focus();
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var target = event.target;
    if (target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return;
    }
    var row = current();
    switch (event.key) {
      case "j":
        move(1);
        break;
      case "k":
        move(-1);
        break;
      case "a":
        if (row && row.querySelector('[data-action="accept"]')) {
          row.querySelector('[data-action="accept"]').click();
        }
        break;
      case "l":
        if (row) {
          openPopover(row, "log-touch");
        }
        break;
      case "r":
        if (row) {
          openPopover(row, "reject");
        }
        break;
      case "o":
        if (row && row.querySelector('[data-action="open"]')) {
          row.querySelector('[data-action="open"]').click();
        }
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  // A row answered by the server replaces the old one: keep it the current row.
  document.body.addEventListener("htmx:afterSwap", function () {
    var row = current();
    if (row) {
      row.classList.add("is-current");
      row.focus({ preventScroll: true });
    }
  });

  // Back to a page the browser kept in memory: its rows may be stale (a lead accepted since), so load it
  // again. The server already answers signed-in pages with no-store; this covers browsers that keep them.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      window.location.reload();
    }
  });
})();
