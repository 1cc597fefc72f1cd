/* Okienko console: type "/" and a keyword in the reply box to find a canned answer and insert
   it. The reply box keeps focus (a textbox with a listbox of suggestions it controls, the
   highlighted one given by aria-activedescendant); the number found goes to a live region. */
(function () {
  "use strict";

  var api = window.okienkoConsole;
  var reply = document.getElementById("reply");
  var list = document.getElementById("canned-list");
  var status = document.getElementById("canned-status");
  if (!api || !reply || !list || !status) return;
  var T = JSON.parse(document.getElementById("canned-i18n").textContent);
  var answers = [];
  var active = -1;
  var asked = 0;      // numbers the lookups: an answer to an outdated one is dropped
  var timer = null;

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  /* The keyword while the whole text is "/" followed by it (no spaces yet), else null. */
  function keyword() {
    var match = /^\/(\S*)$/.exec(reply.value);
    return match ? match[1] : null;
  }

  function close() {
    asked += 1;
    clearTimeout(timer);
    answers = [];
    active = -1;
    list.hidden = true;
    list.textContent = "";
    reply.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    active = index;
    Array.prototype.forEach.call(list.children, function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    var option = list.children[index];
    if (option) {
      reply.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      reply.removeAttribute("aria-activedescendant");
    }
  }

  function option(answer, index) {
    var item = document.createElement("li");
    item.id = "canned-option-" + index;
    item.className = "canned-option";
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", "false");
    var title = document.createElement("span");
    title.className = "canned-title";
    title.textContent = "/" + answer.shortcut + " · " + answer.title;
    var body = document.createElement("span");
    body.className = "canned-body";
    body.textContent = answer.body;
    item.appendChild(title);
    item.appendChild(body);
    // Keep the focus in the reply box when the mouse picks an answer.
    item.addEventListener("mousedown", function (event) { event.preventDefault(); });
    item.addEventListener("click", function () { insert(index); });
    return item;
  }

  function show(found) {
    answers = found;
    list.textContent = "";
    found.forEach(function (answer, i) { list.appendChild(option(answer, i)); });
    list.hidden = !found.length;
    status.textContent = found.length ? fmt(T.found, { count: found.length }) : T.none;
    highlight(found.length ? 0 : -1);
  }

  function lookup() {
    var word = keyword();
    var interactionId = api.openId();
    if (word === null || !interactionId) { close(); return; }
    var ticket = ++asked;
    api.socket.timeout(10000).emit("canned", { interaction_id: interactionId, query: word },
      function (err, answer) {
        if (ticket !== asked || keyword() === null || document.activeElement !== reply) return;
        if (err || !answer.ok) {
          close();
          status.textContent = err ? T.failed : answer.error;
          return;
        }
        show(answer.answers);
      });
  }

  function insert(index) {
    var answer = answers[index];
    if (!answer) return;
    // The text is exactly "/keyword" while suggestions show: the answer replaces it.
    reply.value = answer.body;
    close();
    status.textContent = fmt(T.inserted, { title: answer.title });
    reply.focus();
    reply.setSelectionRange(reply.value.length, reply.value.length);
  }

  reply.addEventListener("input", function () {
    if (keyword() === null) { close(); return; }
    clearTimeout(timer);
    timer = setTimeout(lookup, 150);
  });

  reply.addEventListener("keydown", function (event) {
    if (list.hidden || event.ctrlKey || event.metaKey || event.altKey) return;
    var count = answers.length;
    if (event.key === "ArrowDown") {
      highlight((active + 1) % count);
    } else if (event.key === "ArrowUp") {
      highlight((active - 1 + count) % count);
    } else if ((event.key === "Enter" || (event.key === "Tab" && !event.shiftKey)) && active >= 0) {
      insert(active);
    } else if (event.key === "Escape") {
      close();
      status.textContent = "";
    } else {
      return;
    }
    event.preventDefault();
  });

  reply.addEventListener("blur", close);
})();
