// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  function init(root) {
    root.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      if (el.dataset.bound) return;
      el.dataset.bound = "1";
      el.addEventListener("change", function () { el.form.submit(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    var toggle = document.querySelector("[data-nav-toggle]");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var nav = document.getElementById(toggle.getAttribute("aria-controls"));
        var open = toggle.getAttribute("aria-expanded") === "true";
        toggle.setAttribute("aria-expanded", String(!open));
        nav.classList.toggle("open", !open);
      });
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); charts(event.target); });
  document.addEventListener("htmx:beforeSwap", function (event) { disposeCharts(event.detail.target); });

  // Charts (plan page): ECharts, loaded only where needed; data from a json_script element.
  var chartInstances = [];
  function chartOptions(kind, data) {
    if (kind === "lights") {
      return {
        tooltip: { trigger: "item", formatter: "{b}: {c} " + data.text.items + " ({d}%)" },
        legend: { bottom: 0, type: "scroll" },
        series: [{ type: "pie", radius: ["42%", "70%"], center: ["50%", "44%"], avoidLabelOverlap: true,
          label: { show: false }, data: data.lights.filter(function (l) { return l.value > 0; }) }]
      };
    }
    var p = data.progress;
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
        formatter: function (params) { var i = params[0].dataIndex; return echarts.format.encodeHTML(p.titles[i]) + "<br>" + p.values[i] + "%"; } },
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", inverse: true, data: p.labels, axisLabel: { width: 150, overflow: "truncate" } },
      series: [{ type: "bar", barMaxWidth: 18, data: p.values.map(function (v, i) { return { value: v, itemStyle: { color: p.colors[i] } }; }),
        label: { show: true, position: "right", formatter: function (x) { return Math.round(x.value) + "%"; } } }]
    };
  }
  function charts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.source);
      if (!source || el.dataset.bound) return;
      el.dataset.bound = "1";
      var data = JSON.parse(source.textContent);
      if (el.dataset.chart === "progress") el.style.height = Math.max(160, data.progress.labels.length * 34 + 40) + "px";
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(chartOptions(el.dataset.chart, data));
      chartInstances.push(chart);
    });
  }
  function disposeCharts(root) {
    if (!window.echarts || !root) return;
    chartInstances = chartInstances.filter(function (chart) {
      var dom = chart.getDom();
      if (root.contains(dom)) { chart.dispose(); return false; }
      return true;
    });
  }
  window.addEventListener("resize", function () { chartInstances.forEach(function (c) { c.resize(); }); });
  document.addEventListener("DOMContentLoaded", function () { charts(document); });
  // Tree toggles: children are loaded on demand the first time a node is opened.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-tree-toggle]");
    if (!button) return;
    var open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", String(!open));
    var target = document.getElementById(button.getAttribute("aria-controls"));
    if (target) target.hidden = open;
  });
})();
