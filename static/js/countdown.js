/* Live SLA countdowns: every second, each element with data-due (an ISO 8601 time) shows the time left
   ("1h 02m 03s") or how long ago it passed ("overdue 4m 10s"). Elements swapped in by HTMX are picked
   up on the next tick, since each tick looks them up afresh. No dependencies. */
(function () {
  "use strict";

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function format(seconds) {
    var s = Math.abs(Math.round(seconds));
    var days = Math.floor(s / 86400);
    var hours = Math.floor((s % 86400) / 3600);
    var minutes = Math.floor((s % 3600) / 60);
    var secs = s % 60;
    if (days > 0) return days + "d " + hours + "h " + pad(minutes) + "m";
    if (hours > 0) return hours + "h " + pad(minutes) + "m " + pad(secs) + "s";
    return minutes + "m " + pad(secs) + "s";
  }

  function tick() {
    var now = Date.now();
    var nodes = document.querySelectorAll("[data-due]");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var due = Date.parse(node.getAttribute("data-due"));
      if (isNaN(due)) continue;
      var left = (due - now) / 1000;
      var riskSeconds = parseInt(node.getAttribute("data-risk-seconds") || "0", 10);
      node.textContent = left >= 0 ? "in " + format(left) : "overdue " + format(left);
      node.classList.toggle("countdown-overdue", left < 0);
      node.classList.toggle("countdown-soon", left >= 0 && left <= riskSeconds);
    }
  }

  function start() {
    tick();
    window.setInterval(tick, 1000);
    // A row HTMX just swapped in shows its new countdown at once, not a second later.
    document.body.addEventListener("htmx:afterSettle", tick);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
