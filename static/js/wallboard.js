/* Okienko supervisor wallboard: the server renders the tables; this keeps them current.

   It asks the /staff socket for a snapshot ("wallboard") on every (re)connection, which also
   subscribes it to the snapshots the hub pushes, and rewrites only the cells whose text has
   changed. Nothing is announced: a board that speaks every two seconds would drown a screen
   reader; only losing the connection is reported (role=status). */
(function () {
  "use strict";

  var root = document.getElementById("wallboard");
  if (!root) return;
  var T = JSON.parse(document.getElementById("wallboard-i18n").textContent);
  var lang = root.dataset.lang;
  var $ = function (id) { return document.getElementById(id); };
  var FIELDS = ["waiting", "longest_wait", "sla", "offered", "answered"];  // column order
  var lastAt = "";
  var timeFormat = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "pl-PL", {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    timeZone: "Europe/Warsaw"
  });

  var socket = io("/staff", { query: { lang: lang }, transports: ["websocket", "polling"] });

  function setText(node, text) {
    text = String(text);
    if (node.textContent !== text) node.textContent = text;
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(s) {
    var minutes = Math.floor(s / 60);
    if (s >= 3600) return Math.floor(s / 3600) + ":" + pad(minutes % 60) + ":" + pad(s % 60);
    return minutes + ":" + pad(s % 60);
  }

  /* -- cells -------------------------------------------------------------------------------- */

  function setWait(td, seconds) {
    var time = td.querySelector("time");
    if (!time) { td.textContent = ""; time = td.appendChild(el("time")); }
    if (time.dateTime !== "PT" + seconds + "S") time.dateTime = "PT" + seconds + "S";
    setText(time, clock(seconds));
  }
  function setShare(td, row) {
    var key = row.sla_percent === null ? "none" : row.sla_percent + "/" + row.in_target + "/" + row.counted;
    if (td.dataset.value === key) return;
    td.dataset.value = key;
    td.textContent = "";
    if (row.sla_percent === null) {
      td.appendChild(el("span", { "aria-hidden": "true" }, "—"));
      td.appendChild(el("span", { "class": "visually-hidden" }, T.nothing_counted));
      return;
    }
    td.appendChild(document.createTextNode(row.sla_percent + "% "));
    td.appendChild(el("span", { "class": "hint" },
      "(" + T.in_target_of.replace("{in_target}", row.in_target).replace("{counted}", row.counted) + ")"));
  }
  function fillRow(tr, row) {
    FIELDS.forEach(function (field) {
      var td = tr.querySelector('[data-field="' + field + '"]');
      if (field === "longest_wait") setWait(td, row.longest_wait);
      else if (field === "sla") setShare(td, row);
      else setText(td, row[field]);
    });
  }
  function newRow(channel) {
    var tr = el("tr", { "data-channel": channel });
    var th = tr.appendChild(el("th", { scope: "row" }, T.channel[channel] || channel));
    if (T.channel_target[channel]) {   // a channel with its own answer target names it
      th.appendChild(el("span", { "class": "visually-hidden" }, ","));
      th.appendChild(document.createTextNode(" "));
      th.appendChild(el("span", { "class": "target" }, T.channel_target[channel]));
    }
    FIELDS.forEach(function (field) { tr.appendChild(el("td", { "data-field": field })); });
    return tr;
  }

  /* -- tables ------------------------------------------------------------------------------- */

  /* Rows keyed by an attribute: kept and updated in place, added or removed as needed, in the
     snapshot's order. */
  function syncRows(body, attr, items, keyOf, create, fill) {
    var existing = {};
    Array.prototype.forEach.call(body.rows, function (tr) { existing[tr.getAttribute(attr)] = tr; });
    items.forEach(function (item, index) {
      var key = String(keyOf(item));
      var tr = existing[key] || create(item);
      delete existing[key];
      fill(tr, item);
      if (body.rows[index] !== tr) body.insertBefore(tr, body.rows[index] || null);
    });
    Object.keys(existing).forEach(function (key) { body.removeChild(existing[key]); });
  }

  function renderDepartment(d) {
    var table = $("department-" + d.code);
    if (!table) return;   // a department added since the page loaded appears on reload
    syncRows(table.tBodies[0], "data-channel", d.channels,
      function (row) { return row.channel; },
      function (row) { return newRow(row.channel); }, fillRow);
    fillRow(table.tFoot.rows[0], d.total);
  }

  function renderPresence(counts) {
    Object.keys(counts).forEach(function (value) {
      var td = document.querySelector('#presence-counts tr[data-presence="' + value + '"] td');
      if (td) setText(td, counts[value]);
    });
  }

  function newClerkRow(c) {
    var tr = el("tr", { "data-clerk": c.id });
    tr.appendChild(el("th", { scope: "row" }, c.name));
    ["presence", "load", "departments"].forEach(function (field) {
      tr.appendChild(el("td", { "data-field": field }));
    });
    return tr;
  }
  function fillClerk(tr, c) {
    setText(tr.querySelector("th"), c.name);
    setText(tr.querySelector('[data-field="presence"]'), T.presence[c.presence] || c.presence);
    setText(tr.querySelector('[data-field="load"]'), c.busy + "\u00a0/\u00a0" + c.capacity);
    setText(tr.querySelector('[data-field="departments"]'),
      c.departments.map(function (code) { return T.department[code] || code; }).join(", "));
  }

  function render(snapshot) {
    if (!snapshot || !snapshot.departments || snapshot.at < lastAt) return;  // an older push
    lastAt = snapshot.at;
    snapshot.departments.forEach(renderDepartment);
    renderPresence(snapshot.presence);
    syncRows($("clerks").tBodies[0], "data-clerk", snapshot.clerks,
      function (c) { return c.id; }, newClerkRow, fillClerk);
    var at = $("wallboard-at");
    at.dateTime = snapshot.at;
    setText(at, timeFormat.format(new Date(snapshot.at)));
  }

  /* -- connection --------------------------------------------------------------------------- */

  socket.on("connect", function () {
    setText($("wallboard-connection"), "");
    socket.timeout(10000).emit("wallboard", {}, function (err, answer) {
      if (err || !answer || !answer.ok) return;
      render(answer);
      root.dataset.live = "1";   // subscribed: pushed snapshots follow
    });
  });
  socket.on("disconnect", function () {
    delete root.dataset.live;
    setText($("wallboard-connection"), T.disconnected);
  });
  socket.on("wallboard", render);
}());
