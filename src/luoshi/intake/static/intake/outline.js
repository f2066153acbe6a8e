// The outline editor of the intake review page.
//
// It edits a JSON outline of ids, titles and structure ([{id, title, merged, children}]): rename
// in place, promote, demote, drop, merge into the item above; undo and reset. Each change is
// sent to the server (intake:outline), which checks it and keeps it with the draft, and the
// outline goes with the plan form when the plan is created. The texts behind the ids stay on
// the server. Without JavaScript the page shows the outline read-only and the kept one is used.
(function () {
  "use strict";

  function data(id) { return JSON.parse(document.getElementById(id).textContent); }
  function fill(template, value) { return template.replace("%s", value); }
  function make(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function init() {
    var root = document.querySelector("[data-outline-editor]");
    if (!root) return;
    var outline = data(root.dataset.outline);
    var proposed = JSON.stringify(data(root.dataset.proposed));
    var labels = data(root.dataset.labels);
    var text = data(root.dataset.text);
    var field = document.getElementById(root.dataset.field);
    var form = field.form;
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var status = document.querySelector("[data-outline-status]");
    var counter = document.querySelector("[data-outline-count]");
    var toolbar = document.querySelector("[data-outline-toolbar]");
    var undoButton = toolbar.querySelector("[data-outline-undo]");
    var resetButton = toolbar.querySelector("[data-outline-reset]");
    var history = [];
    var saveTimer = null;
    var renaming = null;

    toolbar.hidden = false;

    // Tree helpers ---------------------------------------------------------------------------
    function count(nodes) { return nodes.reduce(function (n, node) { return n + 1 + count(node.children); }, 0); }
    function height(node) { return 1 + node.children.reduce(function (h, c) { return Math.max(h, height(c)); }, 0); }
    function locate(id, nodes, parent, parentLoc) {
      for (var i = 0; i < nodes.length; i++) {
        var here = { node: nodes[i], list: nodes, index: i, parent: parent, parentLoc: parentLoc };
        if (nodes[i].id === id) return here;
        var found = locate(id, nodes[i].children, nodes[i], here);
        if (found) return found;
      }
      return null;
    }
    function name(node) {
      var marker = labels[node.id] ? labels[node.id].marker : "";
      return (marker || "¶") + " " + node.title;
    }
    function blank(nodes) {
      for (var i = 0; i < nodes.length; i++) {
        if (!nodes[i].title.trim()) return nodes[i];
        var inner = blank(nodes[i].children);
        if (inner) return inner;
      }
      return null;
    }

    // Rendering ------------------------------------------------------------------------------
    function button(action, glyph, label, disabled) {
      var b = make("button", "ol-btn", glyph);
      b.type = "button";
      b.dataset.act = action;
      b.setAttribute("aria-label", label);
      b.title = label;
      b.disabled = disabled;
      return b;
    }
    function build(nodes, level) {
      var ul = make("ul");
      nodes.forEach(function (node, index) {
        var info = labels[node.id] || { marker: "", excerpt: "" };
        var li = make("li", "ol-node");
        li.dataset.id = node.id;
        var row = make("div", "ol-row");
        var marker = make("span", "ol-marker" + (info.marker ? "" : " ol-passage"), info.marker || "¶");
        marker.title = info.excerpt;
        if (!info.marker) marker.setAttribute("aria-label", text.passage);
        var input = make("textarea", "ol-title");
        input.rows = 1;
        input.value = node.title;
        input.maxLength = text.maxTitle;
        input.dataset.id = node.id;
        input.setAttribute("aria-label", fill(text.title, info.marker || text.passage));
        if (!node.title.trim()) input.setAttribute("aria-invalid", "true");
        var tools = make("span", "ol-tools");
        var who = info.marker || node.title.slice(0, 20);
        tools.append(
          button("promote", "←", fill(text.promote, who), level === 1),
          button("demote", "→", fill(text.demote, who), index === 0 || level + height(node) > text.maxDepth),
          button("merge", "⤒", fill(text.merge, who), index === 0),
          button("drop", "×", fill(text.drop, who), false)
        );
        row.append(marker, input, tools);
        if (node.merged.length) row.append(make("span", "badge ol-merged", fill(text.merged, node.merged.length)));
        li.append(row);
        if (node.children.length) li.append(build(node.children, level + 1));
        ul.append(li);
      });
      return ul;
    }
    function render(focusId, focusAction) {
      var tree = build(outline, 1);
      tree.className = "ol-tree";
      if (!outline.length) {
        root.replaceChildren(make("p", "muted", proposed === "[]" ? text.none : text.empty));
      } else {
        root.replaceChildren(tree);
      }
      root.querySelectorAll(".ol-title").forEach(fit);
      var n = count(outline);
      counter.textContent = n === 1 ? text.one : fill(text.many, n);
      undoButton.disabled = history.length === 0;
      if (focusId !== undefined && focusId !== null) {
        var row = root.querySelector('li[data-id="' + focusId + '"] > .ol-row');
        if (row) {
          var target = focusAction ? row.querySelector('[data-act="' + focusAction + '"]') : null;
          if (!target || target.disabled) target = row.querySelector(".ol-title");
          target.focus();
        }
      }
    }
    function fit(area) {
      // Titles wrap: the box grows with its text (one line when short).
      area.style.height = "auto";
      area.style.height = area.scrollHeight + 2 + "px";
    }
    function say(message, bad) {
      status.textContent = message;
      status.classList.toggle("bad", !!bad);
    }

    // Changes ---------------------------------------------------------------------------------
    function remember() {
      history.push(JSON.stringify(outline));
      if (history.length > 100) history.shift();
    }
    function changed(focusId, focusAction, message) {
      render(focusId, focusAction);
      if (message) say(message);
      schedule();
    }
    var actions = {
      promote: function (loc) {
        if (!loc.parent) return;
        var up = loc.parentLoc;
        loc.list.splice(loc.index, 1);
        up.list.splice(up.index + 1, 0, loc.node);
        return fill(text.moved, name(loc.node));
      },
      demote: function (loc) {
        if (loc.index === 0) return;
        var above = loc.list[loc.index - 1];
        loc.list.splice(loc.index, 1);
        above.children.push(loc.node);
        return fill(text.moved, name(loc.node));
      },
      merge: function (loc) {
        if (loc.index === 0) return;
        var above = loc.list[loc.index - 1];
        above.merged = above.merged.concat([loc.node.id], loc.node.merged);
        above.children = above.children.concat(loc.node.children);
        loc.list.splice(loc.index, 1);
        loc.focus = above.id;
        return fill(text.mergedInto, name(above));
      },
      drop: function (loc) {
        loc.list.splice(loc.index, 1);
        var next = loc.list[loc.index] || loc.list[loc.index - 1] || loc.parent;
        loc.focus = next ? next.id : null;
        loc.focusAction = "drop";
        return fill(text.dropped, name(loc.node));
      }
    };

    root.addEventListener("click", function (event) {
      var b = event.target.closest("button[data-act]");
      if (!b || b.disabled) return;
      var id = Number(b.closest("li").dataset.id);
      var loc = locate(id, outline, null, null);
      if (!loc) return;
      var before = JSON.stringify(outline);
      var message = actions[b.dataset.act](loc);
      if (JSON.stringify(outline) === before) return;
      history.push(before);
      if (history.length > 100) history.shift();
      changed(loc.focus !== undefined ? loc.focus : id, loc.focusAction || b.dataset.act, message);
    });
    root.addEventListener("input", function (event) {
      var input = event.target.closest(".ol-title");
      if (!input) return;
      if (/[\r\n]/.test(input.value)) input.value = input.value.replace(/[\r\n]+/g, " ");
      fit(input);
      var loc = locate(Number(input.dataset.id), outline, null, null);
      if (!loc) return;
      if (renaming !== loc.node.id) { remember(); renaming = loc.node.id; undoButton.disabled = false; }
      loc.node.title = input.value;
      if (input.value.trim()) { input.removeAttribute("aria-invalid"); } else { input.setAttribute("aria-invalid", "true"); }
      schedule();
    });
    root.addEventListener("focusout", function (event) {
      if (event.target.matches(".ol-title")) renaming = null;
    });
    root.addEventListener("keydown", function (event) {
      // A title is one line: Enter does not break it.
      if (event.key === "Enter" && event.target.matches(".ol-title")) event.preventDefault();
    });
    undoButton.addEventListener("click", function () {
      if (!history.length) return;
      outline = JSON.parse(history.pop());
      renaming = null;
      changed(null, null, text.undone);
    });
    resetButton.addEventListener("click", function () {
      remember();
      outline = JSON.parse(proposed);
      renaming = null;
      changed(null, null, text.reset);
    });

    // Saving ------------------------------------------------------------------------------------
    function payload() {
      return JSON.stringify(outline, function (key, value) { return key === "title" ? value.trim() : value; });
    }
    function schedule() {
      clearTimeout(saveTimer);
      saveTimer = setTimeout(save, 700);
    }
    function save() {
      saveTimer = null;
      if (blank(outline)) { say(text.blank, true); return; }
      var body = new FormData();
      body.append("outline", payload());
      body.append("csrfmiddlewaretoken", csrf);
      fetch(root.dataset.saveUrl, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrf } })
        .then(function (response) {
          return response.json().then(function (json) { return { ok: response.ok, json: json }; });
        })
        .then(function (result) {
          if (!result.ok) { say(fill(text.failed, result.json.error || ""), true); } else if (status.classList.contains("bad")) { say(text.saved); }
        })
        .catch(function () { /* offline: the outline still goes with the form */ });
    }
    form.addEventListener("submit", function (event) {
      var empty = blank(outline);
      if (empty) {
        event.preventDefault();
        say(text.blank, true);
        render(empty.id);
        return;
      }
      clearTimeout(saveTimer);
      field.value = payload();
    });

    render();
    window.addEventListener("resize", function () { root.querySelectorAll(".ol-title").forEach(fit); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
