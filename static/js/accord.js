// Small behaviours for every page, kept in a file so that the Content-Security-Policy can refuse inline
// script and event-handler attributes.
(function () {
  "use strict";
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
