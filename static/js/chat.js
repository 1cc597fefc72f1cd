/* Okienko resident chat: start, converse, resume after reload or reconnect, rate. */
(function () {
  "use strict";

  var root = document.getElementById("chat");
  if (!root) return;
  var T = JSON.parse(document.getElementById("chat-i18n").textContent);
  var lang = root.dataset.lang;
  var maxChars = parseInt(root.dataset.maxChars, 10);
  var embedded = root.dataset.embedded === "1";
  var STORE = "okienko.chat";

  var $ = function (id) { return document.getElementById(id); };
  var sections = { start: $("start"), conversation: $("conversation"), ended: $("ended") };
  var transcript = $("transcript");
  var queueStatus = $("queue-status");
  var alertBox = $("chat-alert");
  var messageBox = $("message");
  var state = load();
  var shown = {};          // message ids already in the transcript
  var lastSeen = 0;        // the highest message id in this page's transcript
  var clerkName = null;
  var current = {};        // the last status the server sent
  var typingTimer = null;
  var lastTypingSent = 0;

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE)) || {}; } catch (e) { return {}; }
  }
  function save() { localStorage.setItem(STORE, JSON.stringify(state)); }
  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }
  function clientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function timeOf(iso) {
    return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "pl-PL", {
      hour: "2-digit", minute: "2-digit", timeZone: "Europe/Warsaw"
    }).format(new Date(iso));
  }
  function deviceId() {
    /* An anonymous id of this browser, so a clerk can block an abusive sender for a while. */
    var id = localStorage.getItem("okienko.device");
    if (!id) { id = clientId(); localStorage.setItem("okienko.device", id); }
    return id;
  }
  $("department").addEventListener("change", function () {
    var option = $("department").selectedOptions[0];
    var note = $("department-closed");
    if (option && option.dataset.closed) {
      note.textContent = T.closed_now + " " +
        (option.dataset.nextOpening ? fmt(T.opens, { when: option.dataset.nextOpening }) + " " : "") + T.leave_message;
      note.hidden = false;
    } else {
      note.hidden = true;
      note.textContent = "";
    }
  });
  function offerVideo() {
    /* Departments that take video calls let the resident ask for one. */
    var option = $("department").selectedOptions[0];
    $("video-field").hidden = !(option && option.dataset.video);
    if ($("video-field").hidden) $("video-request").checked = false;
  }
  $("department").addEventListener("change", offerVideo);
  offerVideo();
  function showAlert(text) { alertBox.textContent = text || ""; }
  function show(name) {
    Object.keys(sections).forEach(function (key) { sections[key].hidden = key !== name; });
  }

  var socket = io("/chat", { query: { lang: lang }, transports: ["websocket", "polling"] });

  function call(event, data) {
    return new Promise(function (resolve) {
      socket.timeout(10000).emit(event, data, function (err, answer) {
        resolve(err ? { ok: false, error: T.offline, offline: true } : answer);
      });
    });
  }

  /* -- transcript ---------------------------------------------------------------------- */

  function render(m, pending) {
    var existing = (m.client_id && transcript.querySelector('[data-client-id="' + CSS.escape(m.client_id) + '"]')) ||
      (m.id && transcript.querySelector('[data-id="' + m.id + '"]'));
    if (m.id && shown[m.id] && existing) return;
    var item = existing || document.createElement("div");
    item.className = "msg msg-" + m.kind + (pending ? " pending" : "");
    if (m.client_id) item.dataset.clientId = m.client_id;
    if (m.id) { item.dataset.id = m.id; shown[m.id] = true; }
    item.textContent = "";
    if (m.kind !== "system") {
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = m.kind === "in" ? T.you : (m.author || T.clerk);
      item.appendChild(who);
    }
    var body = document.createElement("p");
    body.className = "body";
    body.textContent = m.body;            // text only: never parsed as HTML
    item.appendChild(body);
    var meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = m.at ? timeOf(m.at) : "";
    if (m.kind === "in") meta.textContent += " · " + (pending ? T.sending : T.sent);
    item.appendChild(meta);
    if (!existing) transcript.appendChild(item);
    transcript.scrollTop = transcript.scrollHeight;
    if (m.id && m.id > lastSeen) lastSeen = m.id;
  }

  function applyStatus(s) {
    if (!s) return;
    current = s;
    clerkName = s.clerk;
    var text = "";
    if ((s.state === "queued" || s.state === "offered") && s.closed) {
      text = T.closed_now + " " + (s.next_opening ? fmt(T.opens, { when: s.next_opening }) + " " : "") +
        T.leave_message;
    } else if (s.state === "queued" || s.state === "offered") {
      text = fmt(T.queued, { position: s.position || 1 }) + " ";
      if (s.wait_seconds === null || s.wait_seconds === undefined) text += T.no_clerks;
      else if (s.wait_seconds < 60) text += T.wait_short;
      else text += fmt(T.wait, { minutes: Math.ceil(s.wait_seconds / 60) });
    } else if (s.state === "assigned") {
      text = fmt(T.assigned, { name: s.clerk || T.clerk });
    } else if (s.state === "closed") {
      text = T.closed;
    } else if (s.state === "abandoned") {
      text = T.abandoned;
    }
    if (queueStatus.textContent !== text) queueStatus.textContent = text;
    offerCallback(s);
    var over = s.state === "closed" || s.state === "abandoned" || s.resident_left;
    if (over && sections.ended.hidden) {
      show("ended");
      $("rating-form").hidden = !!s.rated;
      $("rating-done").hidden = !s.rated;
      $("ended-heading").focus();
    } else if (!over) {
      show("conversation");
    }
  }

  /* A long wait or a closed office: offer a call back instead (the chat then ends, the call
     keeps its place). The link is added once, so the live region announces it once. */
  function offerCallback(s) {
    var box = $("callback-offer");
    var waiting = s.state === "queued" || s.state === "offered";
    if (!(waiting && s.callback_offered && state.token && s.department_code)) {
      box.textContent = "";
      return;
    }
    if (box.firstChild) return;
    var query = new URLSearchParams({ department: s.department_code, chat: state.token, lang: lang });
    var link = document.createElement("a");
    link.id = "callback-link";
    link.href = root.dataset.callbackUrl + "?" + query.toString();
    link.textContent = T.callback_offer;
    if (embedded) { link.target = "_blank"; link.rel = "noopener"; }
    box.appendChild(link);
  }

  /* The hub turned a new chat away as too busy (hub/overload.py): a call back instead,
     for the topic chosen. */
  function offerCallbackWhenBusy(department) {
    var box = $("busy-callback");
    box.hidden = !department;
    if (!department) return;
    var link = $("busy-callback-link");
    link.href = root.dataset.callbackUrl + "?" + new URLSearchParams({ department: department, lang: lang });
    if (embedded) { link.target = "_blank"; link.rel = "noopener"; }
  }

  /* -- starting and resuming ----------------------------------------------------------- */

  function opened(answer, focus) {
    state.token = answer.token;
    save();
    answer.messages.forEach(function (m) { render(m); });
    applyStatus(answer.status);
    flushOutbox();
    if (focus && !sections.conversation.hidden) messageBox.focus();
  }

  function resume() {
    if (!state.token) { show("start"); return; }
    // A fresh page has an empty transcript and asks for everything; after a reconnect it asks
    // only for what it has not shown yet.
    call("resume", { token: state.token, after: lastSeen }).then(function (answer) {
      if (answer.ok) { opened(answer, false); return; }
      if (answer.offline) return;
      state = {}; save();
      transcript.textContent = ""; shown = {}; lastSeen = 0;
      show("start");
      showAlert(answer.error);
    });
  }

  /* A supervisor's mystery-shopper link (?mystery=…) is used once, by the chat it starts. */
  function mysteryToken() { return new URLSearchParams(location.search).get("mystery") || undefined; }
  function forgetMysteryToken() {
    var url = new URL(location.href);
    if (!url.searchParams.has("mystery")) return;
    url.searchParams.delete("mystery");
    history.replaceState(history.state, "", url.toString());
  }

  $("start-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var department = $("department").value;
    if (!department) { showAlert(T.unknown_department); $("department").focus(); return; }
    if (!$("consent").checked) { showAlert(T.consent_required); $("consent").focus(); return; }
    showAlert("");
    call("start", { department: department, name: $("resident-name").value, consent: true,
                    device: deviceId(), mystery: mysteryToken(),
                    video: $("video-request").checked })
      .then(function (answer) {
        offerCallbackWhenBusy(answer.code === "busy" ? department : "");
        if (!answer.ok) { showAlert(answer.error); return; }
        forgetMysteryToken();
        state = {};
        transcript.textContent = ""; shown = {}; lastSeen = 0;
        opened(answer, true);
      });
  });

  /* -- sending ---------------------------------------------------------------------------- */

  /* The hub briefly unavailable (its database locked or down): the message stays in the
     outbox and is sent again after these pauses, then on the next reconnect, reload or
     message. The client id makes a resend that did arrive count once. */
  var RETRY_DELAYS_MS = [2000, 5000, 10000, 20000, 30000];
  var retries = {};        // client id → resends already scheduled after "unavailable"
  var inFlight = {};       // client ids being sent now (a retry and a reconnect may meet)

  function flushOutbox() {
    retries = {};
    (state.outbox || []).forEach(function (m) { deliver(m); });
  }

  function inOutbox(m) {
    return (state.outbox || []).some(function (o) { return o.client_id === m.client_id; });
  }

  function retryLater(m) {
    var item = transcript.querySelector('[data-client-id="' + CSS.escape(m.client_id) + '"]');
    var meta = item && item.querySelector(".meta");
    if (meta) meta.textContent = T.will_retry;
    var attempt = retries[m.client_id] || 0;
    if (attempt >= RETRY_DELAYS_MS.length) return;
    retries[m.client_id] = attempt + 1;
    setTimeout(function () { if (inOutbox(m)) deliver(m); }, RETRY_DELAYS_MS[attempt]);
  }

  function deliver(m) {
    if (inFlight[m.client_id]) return;
    inFlight[m.client_id] = true;
    call("message", { token: state.token, client_id: m.client_id, body: m.body }).then(function (answer) {
      delete inFlight[m.client_id];
      if (answer.offline) return;                      // stays in the outbox until reconnect
      if (!answer.ok && answer.code === "unavailable") { retryLater(m); return; }
      delete retries[m.client_id];
      state.outbox = (state.outbox || []).filter(function (o) { return o.client_id !== m.client_id; });
      save();
      if (answer.ok) { render(answer.message); return; }
      var item = transcript.querySelector('[data-client-id="' + CSS.escape(m.client_id) + '"]');
      if (item) item.remove();
      showAlert(answer.error);
    });
  }

  function send() {
    var body = messageBox.value.trim();
    if (!body) { showAlert(T.empty_message); messageBox.focus(); return; }
    showAlert("");
    var m = { client_id: clientId(), body: body, kind: "in" };
    state.outbox = (state.outbox || []).concat([m]);
    save();
    render(m, true);
    messageBox.value = "";
    lastTypingSent = 0;     // the clerk's indicator clears on this message: the next key re-announces
    updateCount();
    flushOutbox();          // this message, and any an outage held back, in the order typed
  }

  $("message-form").addEventListener("submit", function (event) { event.preventDefault(); send(); });
  messageBox.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); send(); }
  });
  function updateCount() {
    var left = maxChars - messageBox.value.length;
    $("message-count").textContent = left < 200 ? fmt(T.chars_left, { count: left }) : "";
  }
  messageBox.addEventListener("input", function () {
    updateCount();
    var now = Date.now();
    if (state.token && now - lastTypingSent > 2000) {
      lastTypingSent = now;
      socket.emit("typing", { token: state.token, typing: true });
    }
  });

  /* -- ending, rating, transcript ---------------------------------------------------------- */

  $("leave").addEventListener("click", function () {
    if (!window.confirm(T.confirm_leave)) return;
    call("leave", { token: state.token }).then(function (answer) {
      if (answer.ok) applyStatus(answer.status); else showAlert(answer.error);
    });
  });

  $("rating-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var chosen = document.querySelector('input[name="stars"]:checked');
    if (!chosen) { showAlert(T.bad_rating); $("stars-1").focus(); return; }
    call("rate", { token: state.token, stars: parseInt(chosen.value, 10), comment: $("rating-comment").value })
      .then(function (answer) {
        if (!answer.ok) { showAlert(answer.error); return; }
        showAlert("");
        $("rating-form").hidden = true;
        $("rating-done").hidden = false;
        $("rating-done").setAttribute("tabindex", "-1");
        $("rating-done").focus();
      });
  });

  $("download").addEventListener("click", function () {
    fetch(root.dataset.transcriptUrl, { headers: { "X-Resident-Token": state.token } })
      .then(function (response) {
        if (!response.ok) throw new Error("download");
        return response.blob();
      })
      .then(function (blob) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = "okienko-rozmowa.txt";
        document.body.appendChild(link);
        link.click();
        link.remove();
      })
      .catch(function () { showAlert(T.download_failed); });
  });

  $("new-chat").addEventListener("click", function () {
    state = {}; save();
    transcript.textContent = ""; shown = {}; lastSeen = 0;
    queueStatus.textContent = "";
    $("callback-offer").textContent = "";
    $("rating-form").reset();
    show("start");
    $("department").focus();
  });

  /* -- live events ------------------------------------------------------------------------- */

  socket.on("connect", function () {
    $("connection").textContent = state.token ? T.online : "";
    resume();
  });
  socket.on("disconnect", function () { $("connection").textContent = T.offline; });
  socket.on("message", function (m) { render(m); if (m.kind === "out") $("typing").textContent = ""; });
  socket.on("status", applyStatus);
  socket.on("queue", function (q) {
    if (current.state !== "queued" && current.state !== "offered") return;
    applyStatus(Object.assign({}, current, { position: q.position, wait_seconds: q.wait_seconds,
                                             callback_offered: q.callback_offered }));
  });
  socket.on("typing", function (t) {
    $("typing").textContent = t.typing ? fmt(T.typing, { name: clerkName || T.clerk }) : "";
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { $("typing").textContent = ""; }, 4000);
  });

  // What add-ons such as rtc.js (calls) may use: the socket and this conversation's token.
  window.okienkoChat = { socket: socket, token: function () { return state.token; } };

  /* -- inside a city website's frame ------------------------------------------------------- */

  if (embedded) {
    var close = function () { window.parent.postMessage({ type: "okienko:close" }, "*"); };
    $("close-widget").addEventListener("click", close);
    document.addEventListener("keydown", function (event) { if (event.key === "Escape") close(); });
    window.addEventListener("message", function (event) {
      if (event.data && event.data.type === "okienko:focus") {
        var target = !sections.start.hidden ? $("department") :
          !sections.conversation.hidden ? messageBox : $("ended-heading");
        target.focus();
      }
    });
  }
})();
