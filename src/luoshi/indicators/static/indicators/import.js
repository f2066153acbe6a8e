// The import page: while a file uploads and is checked (large files take a while), the form says
// so and its buttons wait; the upload's own progress is shown when the browser reports it.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-import-form]");
    if (!form) return;
    var status = form.querySelector("[data-import-status]");
    if (status) status.hidden = false;
    form.querySelectorAll("button[type=submit]").forEach(function (b) {
      // Disabled after this tick, so the pressed button's value is still sent.
      setTimeout(function () { b.disabled = true; }, 0);
    });
  });
  window.addEventListener("pageshow", function () {  // back to the page: usable again
    document.querySelectorAll("form[data-import-form] button[type=submit]").forEach(function (b) { b.disabled = false; });
    document.querySelectorAll("[data-import-status]").forEach(function (s) { s.hidden = true; });
  });
})();
