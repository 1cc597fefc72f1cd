/* The reports pages' charts (/supervisor/reports, /supervisor/quality), drawn with the vendored
   Chart.js from the JSON the server put in #report-charts (CSP: no inline script).
   Every chart is one series of bars in one colour, with its canvas role="img" and a text
   summary as its aria-label; the table beside it holds every figure, so the chart is never
   the only way to read them. Without JavaScript the tables are all there is, and enough. */
(function () {
  "use strict";

  var source = document.getElementById("report-charts");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var specs = JSON.parse(source.textContent);
  var INK = "#1a1a1a";
  var BAR = "#0b4f8a";      /* the brand blue: 8.6:1 on white */
  var BAR_HOVER = "#083a66";
  var GRID = "#d5d9de";
  var MARK = "#1a1a1a";
  var LINE_PX = 18;          /* a horizontal chart grows with its rows and their lines */

  Chart.defaults.color = INK;
  Chart.defaults.font.family = 'system-ui, "Segoe UI", Roboto, Arial, sans-serif';
  Chart.defaults.font.size = 14;

  /* A dashed line at a value (the quality index's pass mark), labelled on the chart. */
  var markLine = {
    id: "markLine",
    afterDatasetsDraw: function (chart, args, options) {
      if (options.value === null || options.value === undefined) {
        return;
      }
      var scale = chart.scales[options.axis];
      var area = chart.chartArea;
      var at = scale.getPixelForValue(options.value);
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = MARK;
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      if (options.axis === "x") {
        ctx.moveTo(at, area.top);
        ctx.lineTo(at, area.bottom);
      } else {
        ctx.moveTo(area.left, at);
        ctx.lineTo(area.right, at);
      }
      ctx.stroke();
      ctx.restore();
    }
  };

  /* Long names (departments) on several lines, so a narrow chart does not cut them off. */
  function wrap(text, width) {
    var lines = [];
    var line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    });
    lines.push(line);
    return lines;
  }

  function draw(canvas, spec) {
    var horizontal = spec.horizontal;
    var valueAxis = horizontal ? "x" : "y";
    var categoryAxis = horizontal ? "y" : "x";
    var percent = spec.unit === "percent";
    var names = spec.ticks;
    if (horizontal) {
      var width = canvas.parentNode.clientWidth < 480 ? 14 : 26;
      names = spec.ticks.map(function (name) { return wrap(name, width); });
      var lines = names.reduce(function (sum, name) { return sum + Math.max(name.length, 1.5); }, 0);
      canvas.parentNode.style.height = (lines * LINE_PX + names.length * 14 + 70) + "px";
    }
    var scales = {};
    scales[valueAxis] = {
      beginAtZero: true,
      max: spec.full_scale ? 100 : undefined,
      grid: { color: GRID },
      title: { display: Boolean(spec.axis), text: spec.axis + (percent ? " (%)" : "") },
      ticks: {
        precision: 0,
        callback: function (value) { return percent ? value + "%" : value; }
      }
    };
    scales[categoryAxis] = {
      grid: { display: false },
      ticks: { autoSkip: false, maxRotation: 0 },
      title: { display: Boolean(spec.category_axis), text: spec.category_axis }
    };
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: names,
        datasets: [{
          label: spec.axis || spec.title,
          data: spec.values,
          backgroundColor: BAR,
          hoverBackgroundColor: BAR_HOVER,
          maxBarThickness: 48
        }]
      },
      options: {
        indexAxis: categoryAxis,
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: function (items) { return spec.labels[items[0].dataIndex]; },
              label: function (item) { return spec.texts[item.dataIndex]; }
            }
          },
          markLine: { value: spec.mark, axis: valueAxis }
        }
      },
      plugins: [markLine]
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), function (canvas) {
    var spec = specs[canvas.getAttribute("data-chart")];
    if (spec && !spec.empty) {
      draw(canvas, spec);
    }
  });
}());
