// The dashboards' "Print / Save as PDF" button: the browser's print dialog saves a PDF.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-button");
  if (button) button.addEventListener("click", function () { window.print(); });
});
