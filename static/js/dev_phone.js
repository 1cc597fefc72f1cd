/* The test phone: send a text through the hub's SMS webhook, show both sides. */
(function () {
  "use strict";
  var form = document.getElementById("phone-form");
  if (!form) return;
  var T = JSON.parse(document.getElementById("phone-i18n").textContent);
  var feed = document.getElementById("phone-feed");
  var alertBox = document.getElementById("phone-alert");
  var shown = 0;

  function refresh() {
    var number = form.elements.number.value;
    fetch(form.dataset.feed + "?number=" + encodeURIComponent(number))
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (!data.items || data.items.length === shown) return;
        feed.textContent = "";
        data.items.forEach(function (item) {
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
        shown = data.items.length;
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
  refresh();
  setInterval(refresh, 2000);
})();
