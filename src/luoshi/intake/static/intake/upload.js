// Upload progress on the intake start page: htmx sends the form with XMLHttpRequest and reports
// its upload progress; the <progress> next to the button follows it, then says the document is
// being read (small documents are read in the same request, large ones by the worker).
(function () {
  "use strict";
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest("[data-upload-form]") : null;
    if (!form || !event.detail.lengthComputable) return;
    var bar = form.querySelector(".upload-progress progress");
    var label = form.querySelector("[data-upload-label]");
    var percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    bar.value = percent;
    bar.textContent = percent + "%";
    if (percent >= 100 && label) label.textContent = label.dataset.reading;
  });
})();
