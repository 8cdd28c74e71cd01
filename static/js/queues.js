// Queue page: the checkbox in the table head ticks or clears every lead on the page.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-check-all")) return;
    var name = box.getAttribute("data-check-all");
    var form = box.form || box.closest("form");
    if (!form) return;
    form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (other) {
      other.checked = box.checked;
    });
  });
})();
