// Analytics charts: every element [data-analytics-chart] names a json_script element holding one
// chart (see luoshi/analytics/charts.py). The same data is in the page as a table, so nothing is
// lost without script. Clicking a bar, slice or region with a link drills down to it.
(function () {
  "use strict";
  var instances = {};

  function pointData(values, colors) {
    return values.map(function (v, i) {
      return colors && colors[i] ? { value: v, itemStyle: { color: colors[i] } } : v;
    });
  }

  function suffix(c) { return c.unit === "%" ? "%" : ""; }

  function tooltipFor(c) {
    return function (params) {
      var list = Array.isArray(params) ? params : [params];
      var first = list[0];
      var i = first.dataIndex;
      var title = (c.titles && c.titles[i]) || first.name || "";
      var lines = [window.echarts.format.encodeHTML(title)];
      list.forEach(function (p) {
        var v = p.value === null || p.value === undefined || (typeof p.value === "number" && isNaN(p.value)) ? "–" : p.value;
        lines.push(window.echarts.format.encodeHTML(p.seriesName) + ": " + v + suffix(c));
      });
      return lines.join("<br>");
    };
  }

  function option(c) {
    var s0 = c.series[0] || { data: [] };
    if (c.kind === "pie") {
      return {
        tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
        legend: { bottom: 0, type: "scroll" },
        series: [{ type: "pie", radius: ["40%", "68%"], center: ["50%", "44%"], label: { show: false },
          data: c.categories.map(function (name, i) {
            return { name: name, value: s0.data[i], itemStyle: s0.colors ? { color: s0.colors[i] } : undefined };
          }).filter(function (d) { return d.value > 0; }) }]
      };
    }
    if (c.kind === "hbar") {
      return {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: tooltipFor(c) },
        grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", max: c.max === null ? undefined : function (v) { return Math.max(c.max, v.max); },
          axisLabel: { formatter: "{value}" + suffix(c) } },
        yAxis: { type: "category", inverse: true, data: c.categories, axisLabel: { width: 120, overflow: "truncate" } },
        series: [{ type: "bar", name: s0.name, barMaxWidth: 18, data: pointData(s0.data, s0.colors),
          label: { show: true, position: "right", formatter: function (x) { return x.value === null ? "" : x.value + suffix(c); } } }]
      };
    }
    if (c.kind === "bar" || c.kind === "stack") {
      var many = c.categories.length > 8;
      return {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: tooltipFor(c) },
        legend: c.kind === "stack" ? { top: 0 } : undefined,
        grid: { left: 8, right: 16, top: c.kind === "stack" ? 32 : 16, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: c.categories, axisLabel: { interval: 0, rotate: many ? 45 : 0, width: 80, overflow: "truncate" } },
        yAxis: { type: "value", axisLabel: { formatter: "{value}" + suffix(c) } },
        series: c.series.map(function (s) {
          return { type: "bar", name: s.name, stack: c.kind === "stack" ? "all" : undefined, barMaxWidth: 28,
            itemStyle: s.color ? { color: s.color } : undefined, data: pointData(s.data, s.colors) };
        })
      };
    }
    if (c.kind === "hstack") {
      return {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: tooltipFor(c) },
        legend: { top: 0 },
        grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", inverse: true, data: c.categories, axisLabel: { width: 120, overflow: "truncate" } },
        series: c.series.map(function (s) {
          return { type: "bar", name: s.name, stack: "all", barMaxWidth: 18, itemStyle: { color: s.color }, data: s.data };
        })
      };
    }
    if (c.kind === "line") {
      return {
        tooltip: { trigger: "axis", formatter: tooltipFor(c) },
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: c.categories, boundaryGap: false },
        yAxis: { type: "value", scale: true, name: c.unit || "" },
        series: c.series.map(function (s) {
          return { type: "line", name: s.name, data: s.data, connectNulls: !!s.dashed, symbolSize: 7,
            itemStyle: { color: s.color }, lineStyle: { color: s.color, type: s.dashed ? "dashed" : "solid" } };
        })
      };
    }
    if (c.kind === "map") {
      var values = c.regions.map(function (r) { return r.value; }).filter(function (v) { return v !== null; });
      return {
        tooltip: { trigger: "item", formatter: function (p) {
          var v = p.value === undefined || p.value === null || isNaN(p.value) ? "–" : p.value + suffix(c);
          return window.echarts.format.encodeHTML(p.name) + ": " + v;
        } },
        visualMap: { min: values.length ? Math.min.apply(null, values) : 0, max: values.length ? Math.max.apply(null, values) : 1,
          left: 8, bottom: 8, calculable: true, itemHeight: 90, inRange: { color: ["#a9c6ea", "#12407a"] } },
        series: [{ type: "map", map: "china", roam: false, name: s0.name,
          emphasis: { label: { show: false } }, data: c.regions.map(function (r) { return { name: r.name, value: r.value, link: r.link }; }) }]
      };
    }
    return {};
  }

  function height(c) {
    if (c.kind === "hbar") return Math.max(160, c.categories.length * 30 + 40);
    if (c.kind === "hstack") return Math.max(160, c.categories.length * 26 + 60);
    if (c.kind === "map") return 420;
    if (c.kind === "bar" && c.categories.length > 8) return 340;
    return 280;
  }

  function draw(el) {
    if (el.dataset.bound || !window.echarts) return;
    var source = document.getElementById(el.dataset.source);
    if (!source) return;
    el.dataset.bound = "1";
    var c = JSON.parse(source.textContent);
    if (c.kind === "map" && !window.echarts.getMap("china")) return;
    el.style.height = height(c) + "px";
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option(c));
    chart.on("click", function (p) {
      var link = c.kind === "map" ? p.data && p.data.link : c.links[p.dataIndex];
      if (link) window.location.href = link;
    });
    instances[c.id] = chart;
    el.dataset.rendered = "1";
    var card = el.closest("[data-chart-card]");
    var png = card && card.querySelector("[data-chart-png]");
    if (png) png.hidden = false;
  }

  function savePng(button) {
    var chart = instances[button.dataset.chartPng];
    if (!chart) return;
    var a = document.createElement("a");
    a.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
    a.download = button.dataset.filename || "chart.png";
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  function init(root) { root.querySelectorAll("[data-analytics-chart]").forEach(draw); }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-chart-png]");
    if (button) savePng(button);
  });
  window.addEventListener("resize", function () {
    Object.keys(instances).forEach(function (k) { instances[k].resize(); });
  });
  // Drawn from a <details> that was closed: size the chart once it becomes visible.
  document.addEventListener("toggle", function (event) {
    event.target.querySelectorAll && Object.keys(instances).forEach(function (k) { instances[k].resize(); });
  }, true);
})();
