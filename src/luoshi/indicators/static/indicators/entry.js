// The data-entry grid (indicators:entry): spreadsheet-like keyboard movement, inline checks and
// derived totals. Without JavaScript the grid is an ordinary form: saving checks everything on
// the server and shows the same messages beside the cells.
//
// Markup contract (templates/indicators/entry.html):
//   form[data-entry-grid]            data-validate-url, data-texts (id of a json_script element)
//   input[data-cell="KEY"]           a value cell; KEY is "<indicator id>" or "<indicator id>-<category id>"
//   input[data-comment-for="KEY"]    the comment of that value
//   [data-messages-for="KEY"]        where the cell's errors and warnings are written
//   output[data-total-for="ID"]      a derived total; data-parts lists the keys summed ("12-1 12-2")
//   [data-grid-summary]              a line counting errors and warnings, and the dirty state
// Keys:  ↑ ↓ Enter / Shift+Enter move within a column; ← → at the edge of the text move between
// value and comment; Esc puts back the value the cell had when it got the focus.
(function () {
  "use strict";

  function texts(form) {
    var source = document.getElementById(form.dataset.texts);
    return source ? JSON.parse(source.textContent) : {};
  }
  function fill(template, n) { return String(template || "").replace("%(n)s", n); }

  // Numbers as people type them: 1,234.5 · １２３ · 12.5% · spaces. Returns null when not a number.
  function parseNumber(text) {
    var t = String(text || "").replace(/[\uFF10-\uFF19]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFF10 + 48); })
      .replace(/\uFF0E/g, ".").replace(/[,\s\u3000\uFF0C%]/g, "");
    if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(t)) return null;
    return parseFloat(t);
  }
  function decimalsOf(text) {
    var m = String(text || "").match(/\.(\d+)/);
    return m ? m[1].length : 0;
  }

  function init(form) {
    if (form.dataset.bound) return;
    form.dataset.bound = "1";
    var t = texts(form);
    var url = form.dataset.validateUrl;
    var csrfInput = form.querySelector("input[name=csrfmiddlewaretoken]");
    var summary = form.querySelector("[data-grid-summary]");
    var dirty = false;
    var timer = null;
    var inflight = null;
    var focusValue = new WeakMap();

    function inputs() { return Array.prototype.slice.call(form.querySelectorAll("input[data-cell], input[data-comment-for]")); }
    function columnOf(input) { return input.hasAttribute("data-cell") ? "value" : "comment"; }
    function rowsOf(column) {
      return Array.prototype.slice.call(form.querySelectorAll(column === "value" ? "input[data-cell]" : "input[data-comment-for]"))
        .filter(function (el) { return !el.disabled && !el.readOnly && el.offsetParent !== null; });
    }
    function moveVertical(input, step) {
      var list = rowsOf(columnOf(input));
      var next = list[list.indexOf(input) + step];
      if (next) { next.focus(); return true; }
      return false;
    }
    function partner(input) {
      if (input.hasAttribute("data-cell")) return form.querySelector('input[data-comment-for="' + input.dataset.cell + '"]');
      return form.querySelector('input[data-cell="' + input.dataset.commentFor + '"]');
    }

    form.addEventListener("focusin", function (event) {
      var el = event.target;
      if (!el.matches("input[data-cell], input[data-comment-for]")) return;
      focusValue.set(el, el.value);
      if (el.hasAttribute("data-cell")) el.select();
      var row = el.closest("tr");
      form.querySelectorAll("tr.eg-current").forEach(function (r) { r.classList.remove("eg-current"); });
      if (row) row.classList.add("eg-current");
    });

    form.addEventListener("keydown", function (event) {
      var el = event.target;
      if (!el.matches("input[data-cell], input[data-comment-for]")) return;
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var key = event.key;
      if (key === "Enter") {
        event.preventDefault();  // Enter moves on; it never sends the form by accident
        moveVertical(el, event.shiftKey ? -1 : 1);
      } else if (key === "ArrowDown" || key === "ArrowUp") {
        if (moveVertical(el, key === "ArrowDown" ? 1 : -1)) event.preventDefault();
      } else if (key === "ArrowLeft" || key === "ArrowRight") {
        var atStart = el.selectionStart === 0 && el.selectionEnd === 0;
        var atEnd = el.selectionStart === el.value.length && el.selectionEnd === el.value.length;
        var whole = el.selectionStart === 0 && el.selectionEnd === el.value.length;
        var other = partner(el);
        if (!other) return;
        var toComment = key === "ArrowRight" && el.hasAttribute("data-cell") && (atEnd || whole);
        var toValue = key === "ArrowLeft" && el.hasAttribute("data-comment-for") && (atStart || whole);
        if (toComment || toValue) { event.preventDefault(); other.focus(); }
      } else if (key === "Escape") {
        if (focusValue.has(el) && el.value !== focusValue.get(el)) {
          el.value = focusValue.get(el);
          event.preventDefault();
          changed(el);
        }
      }
    });

    function setDirty(value) {
      dirty = value;
      form.classList.toggle("eg-dirty", value);
      if (summary) summary.dataset.dirty = value ? "1" : "";
    }
    function changed(el) {
      setDirty(true);
      recomputeTotals();
      schedule();
    }
    form.addEventListener("input", function (event) {
      if (event.target.matches("input[data-cell], input[data-comment-for]")) changed(event.target);
    });
    window.addEventListener("beforeunload", function (event) {
      if (!dirty) return;
      event.preventDefault();
      event.returnValue = "";
    });
    // Saving waits for a running check (both would write the same cells at once).
    var held = false, heldSubmitter = null;
    form.addEventListener("submit", function (event) {
      clearTimeout(timer);
      if (inflight) {
        event.preventDefault();
        held = true;
        heldSubmitter = event.submitter || null;
        return;
      }
      setDirty(false);
    });

    // Derived totals: the sum of the category cells, shown at once (the server's figure follows).
    function recomputeTotals() {
      form.querySelectorAll("output[data-total-for]").forEach(function (out) {
        if (!out.dataset.parts) return;  // computed by formula on the server
        var keys = out.dataset.parts.split(/\s+/).filter(Boolean);
        var sum = 0, any = false, places = 0, bad = false;
        keys.forEach(function (key) {
          var cell = form.querySelector('input[data-cell="' + key + '"]');
          if (!cell || !cell.value.trim()) return;
          var n = parseNumber(cell.value);
          if (n === null) { bad = true; return; }
          any = true;
          sum += n;
          places = Math.max(places, decimalsOf(cell.value));
        });
        out.value = bad ? "?" : (any ? sum.toFixed(places) : "—");
      });
    }

    // Inline checks on the server ----------------------------------------------------------------
    // One check at a time: a change made while a check runs is checked when it returns.
    var again = false;
    function schedule() {
      if (!url) return;
      clearTimeout(timer);
      timer = setTimeout(validate, 450);
    }
    function validate() {
      if (inflight) { again = true; return; }
      inflight = true;
      var body = new FormData(form);
      body.delete("action");
      if (summary) summary.classList.add("eg-checking");
      fetch(url, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfInput ? csrfInput.value : "", "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      }).then(apply).catch(function () {
        if (summary) summary.textContent = t.unchecked || "";
      }).finally(function () {
        inflight = null;
        if (summary) summary.classList.remove("eg-checking");
        if (held) {
          var submitter = heldSubmitter;
          held = false;
          heldSubmitter = null;
          again = false;
          if (submitter && form.requestSubmit) form.requestSubmit(submitter); else form.submit();
          return;
        }
        if (again) { again = false; validate(); }
      });
    }
    function messageItem(kind, text) {
      var li = document.createElement("li");
      li.className = "eg-" + kind;
      li.textContent = text;
      return li;
    }
    function apply(data) {
      var cells = data.cells || {};
      form.querySelectorAll("[data-messages-for]").forEach(function (box) {
        var key = box.dataset.messagesFor;
        var info = cells[key] || { errors: [], warnings: [] };
        var list = document.createElement("ul");
        list.className = "eg-messages";
        (info.errors || []).forEach(function (m) { list.appendChild(messageItem("error", m)); });
        (info.warnings || []).forEach(function (m) { list.appendChild(messageItem("warning", m)); });
        box.replaceChildren(list);
        var input = form.querySelector('input[data-cell="' + key + '"]');
        var comment = form.querySelector('input[data-comment-for="' + key + '"]');
        var row = box.closest("tr");
        if (input) input.setAttribute("aria-invalid", (info.errors || []).length ? "true" : "false");
        if (comment) comment.classList.toggle("eg-comment-needed", !!info.needs_comment);
        if (row) {
          row.classList.toggle("eg-has-error", (info.errors || []).length > 0);
          row.classList.toggle("eg-has-warning", (info.warnings || []).length > 0 && !(info.errors || []).length);
        }
      });
      Object.keys(data.totals || {}).forEach(function (id) {
        var out = form.querySelector('output[data-total-for="' + id + '"]');
        if (out) out.value = data.totals[id];
      });
      if (summary) {
        var errors = data.errors || 0, warnings = data.warnings || 0;
        var parts = [];
        if (errors) parts.push(fill(errors === 1 ? t.error_one : t.error_many, errors));
        if (warnings) parts.push(fill(warnings === 1 ? t.warning_one : t.warning_many, warnings));
        summary.textContent = parts.length ? parts.join(" · ") : (t.all_good || "");
        summary.classList.toggle("bad", errors > 0);
        summary.classList.toggle("warn", !errors && warnings > 0);
      }
    }

    recomputeTotals();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-entry-grid]").forEach(init);
  });
})();
