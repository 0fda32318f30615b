/* Portal behaviour: the phone menu, self-submitting selects, the charts, the import progress,
   the scheme editor's weight totals and proportional bars. Every page's behaviour lives here,
   none inline, so the Content-Security-Policy allows scripts from 'self' only.
   Charts are Apache ECharts (vendored in static/vendor/echarts), drawn from JSON that the
   page embeds with json_script: <div class="chart" data-chart="bars" data-source="id">.
   Clicking a bar or a point follows the URL the JSON gives for it. */
(function () {
  "use strict";

  var PALETTE = ["#1d4ed8", "#0ea5e9", "#f59e0b", "#10b981", "#8b5cf6", "#ef4444", "#64748b"];
  var GRADE_COLORS = { A: "#16a34a", B: "#2563eb", C: "#f59e0b", D: "#dc2626" };

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function setUpMenu() {
    var toggle = document.querySelector("[data-nav-toggle]");
    var bar = document.querySelector(".topbar");
    if (!toggle || !bar) return;
    toggle.addEventListener("click", function () {
      var open = bar.classList.toggle("is-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function setUpAutoSubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form) select.form.submit();
      });
    });
  }

  function setUpNavigateSelects() {
    document.querySelectorAll("select[data-navigate]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.value) window.location.href = select.value;
      });
    });
  }

  function fmt(value, digits) {
    if (value === null || value === undefined || value === "" || isNaN(value)) return "—";
    return Number(value).toFixed(digits === undefined ? 2 : digits);
  }

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return null;
    }
  }

  function follow(urls, index) {
    if (urls && urls[index]) window.location.href = urls[index];
  }

  function baseGrid(phone, wideRight) {
    return { left: phone ? 4 : 12, right: wideRight && !phone ? 88 : phone ? 8 : 16, top: 40, bottom: 8, containLabel: true };
  }

  function barsOption(data, phone) {
    var series = data.series.map(function (s, i) {
      var values = s.values.map(function (v, j) {
        var item = { value: v };
        if (data.colors && data.colors[j] && i === 0) item.itemStyle = { color: data.colors[j] };
        return item;
      });
      var out = {
        name: s.name,
        type: "bar",
        data: values,
        barMaxWidth: 38,
        itemStyle: { color: s.color || PALETTE[i % PALETTE.length], borderRadius: [3, 3, 0, 0] },
        emphasis: { focus: "series" },
        cursor: data.urls ? "pointer" : "default",
      };
      if (s.labels && !(phone && data.labels.length > 5)) {
        out.label = {
          show: true,
          position: "top",
          fontSize: 11,
          color: "#4b5563",
          formatter: function (p) {
            return p.value === null || p.value === undefined ? "" : fmt(p.value, data.digits);
          },
        };
      }
      if (i === 0 && data.reference !== null && data.reference !== undefined) {
        out.markLine = {
          symbol: "none",
          silent: true,
          lineStyle: { color: "#94a3b8", type: "dashed" },
          label: {
            show: !phone,
            formatter: data.referenceName + "\n" + fmt(data.reference),
            position: "end",
            fontSize: 11,
            color: "#64748b",
          },
          data: [{ yAxis: data.reference }],
        };
      }
      return out;
    });
    return {
      color: PALETTE,
      grid: baseGrid(phone, data.reference !== null && data.reference !== undefined),
      legend: data.series.length > 1 ? { top: 0, itemWidth: 12, itemHeight: 10 } : undefined,
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        valueFormatter: function (v) {
          return fmt(v, data.digits);
        },
      },
      xAxis: {
        type: "category",
        data: data.labels,
        axisTick: { alignWithLabel: true },
        axisLabel: { interval: 0, rotate: phone && data.labels.length > 5 ? 35 : 0, fontSize: 11 },
      },
      yAxis: {
        type: "value",
        min: data.min,
        max: data.max,
        splitLine: { lineStyle: { color: "#eef2f7" } },
        name: data.axisName || "",
        nameTextStyle: { fontSize: 11, color: "#6b7280", align: "left" },
      },
      series: series,
    };
  }

  function trendOption(data, phone) {
    var series = data.series.map(function (s, i) {
      var main = i === 0;
      return {
        name: s.name,
        type: "line",
        data: s.values,
        connectNulls: false,
        symbol: "circle",
        symbolSize: main ? 8 : 5,
        lineStyle: { width: main ? 3 : 1.5, type: main ? "solid" : "solid" },
        itemStyle: { color: PALETTE[i % PALETTE.length] },
        emphasis: { focus: "series" },
        z: main ? 3 : 2,
        cursor: data.urls ? "pointer" : "default",
      };
    });
    return {
      color: PALETTE,
      grid: baseGrid(phone),
      legend: { top: 0, itemWidth: 14, itemHeight: 8, type: phone ? "scroll" : "plain" },
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) {
          return fmt(v);
        },
      },
      xAxis: { type: "category", data: data.labels, boundaryGap: false, axisLabel: { fontSize: 11 } },
      yAxis: {
        type: "value",
        min: data.min === undefined ? function (v) { return Math.max(0, Math.floor((v.min - 5) / 10) * 10); } : data.min,
        max: 100,
        splitLine: { lineStyle: { color: "#eef2f7" } },
      },
      series: series,
    };
  }

  function radarOption(data, phone) {
    return {
      color: PALETTE,
      legend: { bottom: 0, itemWidth: 14, itemHeight: 8 },
      tooltip: { trigger: "item" },
      radar: {
        indicator: data.indicators.map(function (name) {
          return { name: name, max: 100, min: 0 };
        }),
        radius: phone ? "58%" : "64%",
        center: ["50%", "48%"],
        splitNumber: 4,
        axisName: { color: "#374151", fontSize: 12 },
        splitArea: { areaStyle: { color: ["#fbfcfe", "#f4f7fb"] } },
        splitLine: { lineStyle: { color: "#e5e7eb" } },
      },
      series: [
        {
          type: "radar",
          data: data.series.map(function (s, i) {
            return {
              name: s.name,
              value: s.values.map(function (v) {
                return v === null ? 0 : v;
              }),
              symbolSize: 5,
              lineStyle: { width: i === 0 ? 2.5 : 1.5, type: i === 0 ? "solid" : "dashed" },
              areaStyle: i === 0 ? { opacity: 0.18 } : undefined,
            };
          }),
        },
      ],
    };
  }

  // Whole counts per day as lines (the daily-clearing board's overnight items): the axis
  // starts at 0 and steps by whole numbers.
  function countsOption(data, phone) {
    return {
      color: data.colors || ["#f59e0b", "#dc2626"].concat(PALETTE),
      grid: baseGrid(phone),
      legend: { top: 0, itemWidth: 14, itemHeight: 8 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.labels, boundaryGap: false, axisLabel: { fontSize: 11 } },
      yAxis: { type: "value", min: 0, minInterval: 1, splitLine: { lineStyle: { color: "#eef2f7" } } },
      series: data.series.map(function (s) {
        return { name: s.name, type: "line", data: s.values, showSymbol: false, lineStyle: { width: 2.5 } };
      }),
    };
  }

  var BUILDERS = { bars: barsOption, trend: trendOption, radar: radarOption, counts: countsOption };

  function drawCharts() {
    if (typeof window.echarts === "undefined") return;
    var locale = (document.documentElement.lang || "zh-hans").indexOf("en") === 0 ? "EN" : "ZH";
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var data = readJson(el.getAttribute("data-source"));
      var build = BUILDERS[el.getAttribute("data-chart")];
      if (!data || !build) return;
      var phone = window.innerWidth < 600;
      var chart = window.echarts.init(el, null, { renderer: "canvas", locale: locale });
      if (data.grades) data.colors = data.labels.map(function (g) { return GRADE_COLORS[g] || PALETTE[0]; });
      chart.setOption(build(data, phone));
      if (data.urls) {
        chart.on("click", function (params) {
          follow(data.urls, params.dataIndex);
        });
        // A click anywhere in a category column (not only on the bar) follows it too.
        chart.getZr().on("click", function (event) {
          if (event.target) return;
          var point = [event.offsetX, event.offsetY];
          if (!chart.containPixel("grid", point)) return;
          var index = chart.convertFromPixel({ seriesIndex: 0 }, point)[0];
          follow(data.urls, index);
        });
      }
      el.setAttribute("data-chart-ready", "true");
      charts.push(chart);
    });
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        charts.forEach(function (c) {
          c.resize();
        });
      }, 120);
    });
  }

  // <span data-bar-width="37">: a bar 37 % long. Set through CSSOM, which the CSP allows (style= is not).
  function setUpBars() {
    document.querySelectorAll("[data-bar-width]").forEach(function (bar) {
      var width = parseFloat(bar.getAttribute("data-bar-width"));
      if (!isNaN(width)) bar.style.width = Math.max(0, Math.min(100, width)) + "%";
    });
  }

  // An import running in the background: poll its progress, reload the page when it has finished.
  function setUpImportProgress() {
    var box = document.querySelector("[data-progress-url]");
    if (!box) return;
    var bar = box.querySelector("progress");
    function poll() {
      fetch(box.getAttribute("data-progress-url"), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          bar.value = data.percent;
          box.querySelector("[data-rows-done]").textContent = data.rows_done;
          box.querySelector("[data-rows-total]").textContent = data.rows_total;
          if (data.finished) window.location.reload();
          else setTimeout(poll, 1500);
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    setTimeout(poll, 1000);
  }

  // The scheme editor: the weight of the ticked KPIs per tier and in all, as the user types.
  function setUpSchemeTotals() {
    var form = document.getElementById("scheme-form");
    if (!form) return;
    var rows = form.querySelectorAll("tr[data-tier]");
    function refresh() {
      var totals = { base: 0, process: 0, result: 0, all: 0 };
      rows.forEach(function (row) {
        var on = row.querySelector("input[type=checkbox]");
        var weight = parseFloat(row.querySelector("input[name$='-weight']").value || "0");
        if (on && on.checked && !isNaN(weight)) {
          totals[row.getAttribute("data-tier")] += weight;
          totals.all += weight;
        }
      });
      Object.keys(totals).forEach(function (k) {
        var el = document.querySelector("[data-tier-total='" + k + "']");
        if (el) el.textContent = Math.round(totals[k] * 100) / 100;
      });
    }
    form.addEventListener("input", refresh);
    refresh();
  }

  ready(function () {
    setUpMenu();
    setUpAutoSubmit();
    setUpNavigateSelects();
    setUpBars();
    setUpImportProgress();
    setUpSchemeTotals();
    drawCharts();
    fillCountBadges();
  });

  // Workbench (待办): the navigation's badges (open to-dos, unread notices) come from one small
  // request, so no page pays for them in its own queries. A badge the page already filled stays.
  function fillCountBadges() {
    var bar = document.querySelector("[data-counts-url]");
    var badges = document.querySelectorAll("[data-count]");
    if (!bar || !badges.length || !window.fetch) return;
    fetch(bar.getAttribute("data-counts-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (counts) {
        if (!counts) return;
        Array.prototype.forEach.call(badges, function (el) {
          var n = counts[el.getAttribute("data-count")];
          if (typeof n !== "number") return;
          el.textContent = n > 99 ? "99+" : String(n);
          el.hidden = n === 0;
        });
        bar.setAttribute("data-counts-ready", "true");
      })
      .catch(function () {});
  }
})();

/* Incentive queue: the header box selects the page's rows; choosing "all matching the
   filter" checks every row on the page too, so what is selected is what is shown. */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var pageBox = document.querySelector("[data-check-page]");
    var allBox = document.querySelector("[data-select-all-matching]");
    var rows = document.querySelectorAll("[data-select-row]");
    function setRows(checked) {
      rows.forEach(function (row) {
        row.checked = checked;
      });
    }
    if (pageBox) {
      pageBox.addEventListener("change", function () {
        setRows(pageBox.checked);
        if (!pageBox.checked && allBox) allBox.checked = false;
      });
    }
    if (allBox) {
      allBox.addEventListener("change", function () {
        setRows(allBox.checked);
        if (pageBox) pageBox.checked = allBox.checked;
      });
    }
    rows.forEach(function (row) {
      row.addEventListener("change", function () {
        if (!row.checked && allBox) allBox.checked = false;
      });
    });
  });
})();

/* The network page's KPI trends (data-chart="kpi-trend"): this year's line and the same months a
   year earlier, on the KPI's own scale; the best month on record marked with a star. Drawn
   from the JSON each chart's json_script holds ({labels, unit, best, series}). */
(function () {
  "use strict";
  function draw() {
    if (typeof window.echarts === "undefined") return;
    var phone = window.innerWidth < 600;
    var charts = [];
    document.querySelectorAll('[data-chart="kpi-trend"]').forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-source"));
      if (!source) return;
      var data = JSON.parse(source.textContent);
      var small = el.classList.contains("chart-small");
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption({
        color: ["#2563eb", "#9ca3af"],
        grid: { left: small ? 36 : 48, right: 12, top: small ? 12 : 32, bottom: small ? 20 : 28 },
        legend: small ? undefined : { top: 0, itemWidth: 14, itemHeight: 8, type: phone ? "scroll" : "plain" },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.labels, boundaryGap: false, axisLabel: { fontSize: 10 } },
        yAxis: { type: "value", scale: true, splitLine: { lineStyle: { color: "#eef2f7" } }, axisLabel: { fontSize: 10 } },
        series: data.series.map(function (s, i) {
          var series = {
            name: s.name,
            type: "line",
            data: s.values,
            connectNulls: false,
            showSymbol: !small && i === 0,
            lineStyle: { width: i === 0 ? 2.5 : 1, type: i === 0 ? "solid" : "dashed" },
          };
          if (i === 0 && data.best !== null && data.best !== undefined) {
            series.markPoint = {
              symbol: "pin",
              symbolSize: small ? 22 : 32,
              data: [{ coord: [data.best, s.values[data.best]], value: "★" }],
            };
          }
          return series;
        }),
      });
      el.setAttribute("data-chart-ready", "true");
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) {
        c.resize();
      });
    });
  }
  if (document.readyState !== "loading") draw();
  else document.addEventListener("DOMContentLoaded", draw);
})();

// Goal charts (goals/detail.html): target, actual and the month in progress's projection per month.
(function () {
  function draw() {
    if (typeof window.echarts === "undefined") return;
    document.querySelectorAll('[data-chart="goal"]').forEach(function (el) {
      var node = document.getElementById(el.getAttribute("data-source"));
      if (!node) return;
      var data;
      try {
        data = JSON.parse(node.textContent);
      } catch (e) {
        return;
      }
      var phone = window.innerWidth < 600;
      var locale = (document.documentElement.lang || "zh-hans").indexOf("en") === 0 ? "EN" : "ZH";
      var chart = window.echarts.init(el, null, { renderer: "canvas", locale: locale });
      chart.setOption({
        color: ["#94a3b8", "#2563eb", "#f59e0b"],
        grid: { left: 8, right: 16, top: 36, bottom: 28, containLabel: true },
        legend: { top: 0, itemWidth: 14, itemHeight: 8 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.labels, axisLabel: { fontSize: 11 } },
        yAxis: { type: "value", scale: true, splitLine: { lineStyle: { color: "#eef2f7" } } },
        series: [
          { name: data.target_label, type: "line", step: "middle", data: data.target, lineStyle: { type: "dashed" } },
          { name: data.actual_label, type: "bar", data: data.actual, barMaxWidth: 28 },
          { name: data.projection_label, type: "scatter", data: data.projection, symbolSize: 12 },
        ],
      });
      window.addEventListener("resize", function () {
        chart.resize();
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
