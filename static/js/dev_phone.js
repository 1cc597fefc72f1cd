/* The test phone: send a text through the hub's SMS webhook, show both sides; answer (or
   not) the calls the hub places; move the hub's clock forward when DEV_CLOCK allows it. */
(function () {
  "use strict";
  var form = document.getElementById("phone-form");
  if (!form) return;
  var T = JSON.parse(document.getElementById("phone-i18n").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var feed = $("phone-feed");
  var alertBox = $("phone-alert");
  var shown = 0;
  var callState = null;   // null, "ringing" or "answered": what the call box shows
  var lang = document.documentElement.lang === "en" ? "en-GB" : "pl-PL";

  function post(url, data) {
    var body = new FormData();
    Object.keys(data).forEach(function (key) { body.append(key, data[key]); });
    return fetch(url, { method: "POST", body: body,
                        headers: { "X-CSRFToken": form.elements.csrf_token.value } })
      .then(function (r) { return r.json(); });
  }

  function timeText(iso) {
    return new Intl.DateTimeFormat(lang, {
      weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit",
      timeZone: "Europe/Warsaw"
    }).format(new Date(iso));
  }

  function showCall(call) {
    var state = call ? call.state : null;
    if (state === callState) return;
    var box = $("incoming-call");
    var hadFocus = box.contains(document.activeElement);
    callState = state;
    box.hidden = !state;
    if (state === "ringing") {
      $("incoming-heading").textContent = T.ringing;
      $("call-alert").textContent = T.ringing;
    } else if (state === "answered") {
      $("incoming-heading").textContent = T.in_call;
      $("call-alert").textContent = T.in_call;
    } else {
      $("call-alert").textContent = T.ended;
      if (hadFocus) $("feed-heading").focus();
    }
    $("call-answer").hidden = state !== "ringing";
    $("call-decline").hidden = state !== "ringing";
    $("call-hang-up").hidden = state !== "answered";
    if (state === "answered" && hadFocus) $("call-hang-up").focus();
  }

  function showFeed(items) {
    if (items.length === shown) return;
    feed.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("div");
      li.className = "msg " + (item.from === "me" ? "msg-in" : "msg-out");
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = T[item.from];
      var body = document.createElement("p");
      body.className = "body";
      body.textContent = item.body;
      li.appendChild(who);
      li.appendChild(body);
      feed.appendChild(li);
    });
    shown = items.length;
  }

  function refresh() {
    var number = form.elements.number.value;
    return fetch(form.dataset.feed + "?number=" + encodeURIComponent(number))
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (!data.items) return;
        showCall(data.call);
        showFeed(data.items);
        $("hub-clock").hidden = !data.can_move_clock;
        if (data.clock) $("hub-time").textContent = timeText(data.clock);
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.dataset.send, { method: "POST", body: new FormData(form),
                               headers: { "X-CSRFToken": form.elements.csrf_token.value } })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        alertBox.textContent = answer.error || "";
        if (!answer.error) { form.elements.body.value = ""; refresh(); }
      });
  });
  form.elements.number.addEventListener("change", function () { shown = 0; refresh(); });

  document.querySelectorAll("#incoming-call button").forEach(function (button) {
    button.addEventListener("click", function () {
      post(form.dataset.call, { number: form.elements.number.value, action: button.dataset.action })
        .then(function (answer) {
          alertBox.textContent = answer.error || "";
          refresh();
        });
    });
  });

  $("clock-form").addEventListener("submit", function (event) {
    event.preventDefault();
    post(form.dataset.clock, { minutes: $("clock-minutes").value }).then(function (answer) {
      alertBox.textContent = answer.error || "";
      if (answer.now) {
        $("hub-time").textContent = timeText(answer.now);
        $("clock-status").textContent = T.moved.replace("{time}", timeText(answer.now));
      }
    });
  });

  refresh();
  setInterval(refresh, 2000);
})();
