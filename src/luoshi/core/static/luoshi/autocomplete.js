// Searchable unit choice (the combobox of core/forms.py UnitSearchInput): suggestions from the
// server, chosen with the mouse or the keyboard (arrows, Enter, Escape). Every page works without it.
(function () {
  "use strict";
  function setup(box) {
    if (box.dataset.bound) return;
    box.dataset.bound = "1";
    var input = box.querySelector("input[role=combobox]");
    var hidden = box.querySelector("input[type=hidden]");
    var list = box.querySelector("[role=listbox]");
    var multiple = box.dataset.multiple === "true";
    var timer = null, active = -1, seq = 0;

    function options() { return Array.prototype.slice.call(list.querySelectorAll("li[data-pk]")); }
    function token() {
      if (!multiple) return input.value;
      var parts = input.value.split(/[;；,，]/);
      return parts[parts.length - 1];
    }
    function close() {
      list.hidden = true; active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function highlight(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach(function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }
    function choose(li) {
      if (!li || !li.dataset.pk) return;
      if (multiple) {
        var parts = input.value.split(/[;；,，]/).slice(0, -1).map(function (s) { return s.trim(); }).filter(Boolean);
        parts.push(li.dataset.label);
        input.value = parts.join("; ") + "; ";
      } else {
        input.value = li.dataset.label;
        if (hidden) hidden.value = li.dataset.pk;
      }
      close();
      input.focus();
      chosen();
    }
    // A form that acts as soon as a unit is chosen (a filter) listens for "unit-chosen"; it is
    // also sent when a single box is emptied, which on a filter means "all units".
    function chosen() { box.dispatchEvent(new CustomEvent("unit-chosen", { bubbles: true })); }
    function search() {
      var q = token().trim();
      var mine = ++seq;
      fetch(box.dataset.unitSearch + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) {
          if (mine !== seq) return;
          list.innerHTML = html;
          list.hidden = false; active = -1;
          input.setAttribute("aria-expanded", "true");
        });
    }
    input.addEventListener("input", function () {
      if (!multiple && hidden) hidden.value = "";
      clearTimeout(timer);
      if (!multiple && !input.value.trim()) { close(); chosen(); return; }
      timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); if (list.hidden) search(); else highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter" && !list.hidden && active >= 0) { event.preventDefault(); choose(options()[active]); }
      else if (event.key === "Escape") { close(); }
    });
    list.addEventListener("mousedown", function (event) {
      var li = event.target.closest("li[data-pk]");
      if (li) { event.preventDefault(); choose(li); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }
  function init(root) { root.querySelectorAll("[data-unit-search]").forEach(setup); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
