/* Okienko console: book a visit for the resident from the open conversation. */
(function () {
  "use strict";

  var root = document.getElementById("console");
  var box = document.getElementById("visit-box");
  if (!root || !box || !window.okienkoConsole) return;
  var T = JSON.parse(document.getElementById("visit-i18n").textContent);
  var socket = window.okienkoConsole.socket;
  var $ = function (id) { return document.getElementById(id); };
  var days = [];          // [{day, label, slots: [{starts_at, label}]}] of the chosen office
  var filledFor = null;   // the conversation the form was filled for

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }
  function alertText(text) { $("console-alert").textContent = text || ""; }
  function call(event, data) {
    return new Promise(function (resolve) {
      socket.timeout(10000).emit(event, data, function (err, answer) {
        resolve(err ? { ok: false, error: "" } : answer);
      });
    });
  }
  function fill(select, items, chosen) {
    select.textContent = "";
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.value;
      option.textContent = item.label;
      if (item.value === chosen) option.selected = true;
      select.appendChild(option);
    });
  }

  function fillTimes() {
    var day = days.filter(function (d) { return d.day === $("visit-day").value; })[0];
    fill($("visit-time"), (day ? day.slots : []).map(function (s) {
      return { value: s.starts_at, label: s.label };
    }));
  }

  function applyOptions(answer, keepContact) {
    fill($("visit-service"), answer.services.map(function (s) {
      return { value: s.code, label: s.name + " (" + fmt(T.minutes, { minutes: s.minutes }) + ")" };
    }), answer.service);
    var service = answer.services.filter(function (s) { return s.code === answer.service; })[0];
    fill($("visit-office"), (service ? service.offices : []).map(function (o) {
      return { value: o.code, label: o.name };
    }), answer.office);
    days = answer.days;
    fill($("visit-day"), days.map(function (d) { return { value: d.day, label: d.label }; }));
    fillTimes();  // the first free time of the first day is chosen
    $("visit-times-note").textContent = days.length ? $("visit-times-note").dataset.note : T.no_times;
    $("visit-book").disabled = !days.length;
    if (!keepContact) {
      $("visit-name").value = answer.prefill.name;
      $("visit-phone").value = answer.prefill.phone;
      $("visit-email").value = answer.prefill.email;
    }
  }

  function load(keepContact, quiet) {
    var id = window.okienkoConsole.openId();
    if (!id) return;
    var data = { interaction_id: id };
    if (keepContact) { data.service = $("visit-service").value; data.office = $("visit-office").value; }
    if (!quiet) $("visit-result").textContent = T.loading;
    call("booking_options", data).then(function (answer) {
      if (String(window.okienkoConsole.openId()) !== String(id)) return;
      if (!quiet) $("visit-result").textContent = "";
      if (!answer.ok) { alertText(answer.error); return; }
      filledFor = id;
      applyOptions(answer, keepContact);
    });
  }

  $("visit-times-note").dataset.note = $("visit-times-note").textContent;
  box.addEventListener("toggle", function () {
    if (box.open && String(filledFor) !== String(window.okienkoConsole.openId())) load(false);
  });
  $("visit-service").addEventListener("change", function () {
    $("visit-office").value = "";  // the new matter's first office
    load(true);
  });
  $("visit-office").addEventListener("change", function () { load(true); });
  $("visit-day").addEventListener("change", fillTimes);

  // Another conversation: the form is filled again for it when opened.
  function reset() {
    filledFor = null;
    box.open = false;
    $("visit-result").textContent = "";
  }
  root.addEventListener("conversation-opened", reset);
  root.addEventListener("conversation-closed", reset);

  $("visit-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var id = window.okienkoConsole.openId();
    if (!id || $("visit-book").disabled) return;
    if (!$("visit-time").value) { alertText(T.choose_time); $("visit-day").focus(); return; }
    $("visit-book").disabled = true;
    call("book_visit", {
      interaction_id: id, service: $("visit-service").value, office: $("visit-office").value,
      starts_at: $("visit-time").value, name: $("visit-name").value,
      phone: $("visit-phone").value, email: $("visit-email").value
    }).then(function (answer) {
      $("visit-book").disabled = false;
      if (!answer.ok) {
        alertText(answer.error);
        if (answer.code === "slot_taken") load(true);
        return;
      }
      alertText("");
      var b = answer.booking;
      var values = { reference: b.reference, when: b.when, office: b.office, desk: b.desk };
      var canReply = !$("mode-reply").disabled;
      $("visit-result").textContent = fmt(canReply ? T.booked : T.booked_no_reply, values);
      load(true, true);  // the time just booked is no longer free
      if (canReply) {
        $("mode-reply").checked = true;
        $("reply").value = answer.reply;
        $("reply").focus();
      }
    });
  });
})();
