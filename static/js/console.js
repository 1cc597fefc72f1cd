/* Okienko clerk console: presence, offers, conversations, replies and notes, live. */
(function () {
  "use strict";

  var root = document.getElementById("console");
  if (!root) return;
  var T = JSON.parse(document.getElementById("console-i18n").textContent);
  var lang = root.dataset.lang;
  var $ = function (id) { return document.getElementById(id); };
  var offers = {};          // id -> offer
  var conversations = {};   // id -> interaction
  var openId = null;
  var capacity = 0;
  var lastTyping = 0;
  var typingTimer = null;
  var chooseHeading = $("workspace-heading").textContent;  // "Choose a conversation"

  // auth.console: this tab is a working console (a wallboard tab does not make a clerk present)
  var socket = io("/staff", { query: { lang: lang }, auth: { console: true },
                              transports: ["websocket", "polling"] });

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }
  function alertText(text) { $("console-alert").textContent = text || ""; }
  function announce(text) { $("console-status").textContent = text; }
  function timeOf(iso) {
    return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "pl-PL", {
      hour: "2-digit", minute: "2-digit", timeZone: "Europe/Warsaw"
    }).format(new Date(iso));
  }
  function momentOf(iso) {
    return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "pl-PL", {
      weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit",
      timeZone: "Europe/Warsaw"
    }).format(new Date(iso));
  }
  function call(event, data) {
    return new Promise(function (resolve) {
      socket.timeout(10000).emit(event, data || {}, function (err, answer) {
        resolve(err ? { ok: false, error: T.disconnected } : answer);
      });
    });
  }
  function button(label, onClick, cls) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = cls || "button-secondary";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }
  function describe(i) {
    var who = i.resident_name || T.resident;
    return who + " · " + i.department_name + " · " + (T.channel[i.channel] || i.channel);
  }

  /* -- lists ------------------------------------------------------------------------------ */

  function renderOffers() {
    var list = $("offers");
    list.textContent = "";
    Object.keys(offers).forEach(function (id) {
      var o = offers[id];
      var li = document.createElement("li");
      li.className = "item offer";
      var title = document.createElement("p");
      title.className = "item-title";
      title.textContent = describe(o);
      li.appendChild(title);
      var previewText = o.preview || (o.callback ? o.callback.phone + " · " + o.callback.window : "");
      if (previewText) {
        var preview = document.createElement("p");
        preview.className = "preview";
        preview.textContent = previewText;
        li.appendChild(preview);
      }
      var countdown = document.createElement("p");
      countdown.className = "hint countdown";
      countdown.dataset.deadline = o.deadline;
      li.appendChild(countdown);
      var row = document.createElement("div");
      row.className = "row";
      row.appendChild(button(T.accept, function () { accept(o.id); }, "button-primary"));
      row.appendChild(button(T.decline, function () { decline(o.id); }));
      li.appendChild(row);
      list.appendChild(li);
    });
    $("no-offers").hidden = Object.keys(offers).length > 0;
    tick();
  }

  function tick() {
    document.querySelectorAll(".countdown").forEach(function (el) {
      var left = Math.max(0, Math.round((parseInt(el.dataset.deadline, 10) - Date.now()) / 1000));
      el.textContent = fmt(T.expires, { seconds: left });
    });
  }
  setInterval(tick, 1000);

  function renderConversations() {
    var list = $("conversations");
    list.textContent = "";
    var ids = Object.keys(conversations);
    ids.forEach(function (id) {
      var c = conversations[id];
      var li = document.createElement("li");
      li.className = "item" + (String(openId) === id ? " current" : "");
      var b = button(describe(c) + (c.resident_left ? " — " + T.left : ""), function () { openConversation(c.id); }, "link-button");
      if (String(openId) === id) b.setAttribute("aria-current", "true");
      li.appendChild(b);
      list.appendChild(li);
    });
    $("no-conversations").hidden = ids.length > 0;
    // A call takes the whole clerk, so no chat is offered meanwhile: say so.
    var onCall = ids.some(function (id) { return conversations[id].channel === "callback"; });
    $("load").textContent = onCall ? T.load_call : fmt(T.load, { active: ids.length, capacity: capacity });
  }

  function applySnapshot(s) {
    capacity = s.capacity;
    offers = {};
    s.offers.forEach(addOffer);
    conversations = {};
    s.conversations.forEach(function (c) { conversations[c.id] = c; });
    showPresence(s.presence);
    renderOffers();
    renderConversations();
    if (openId && !conversations[openId]) closeWorkspace();
  }

  function showPresence(presence) {
    var radio = $("presence-" + presence);
    if (radio) radio.checked = true;
    else document.querySelectorAll('input[name="presence"]').forEach(function (r) { r.checked = false; });
    $("away-note").hidden = presence !== "away";
    $("no-offers").textContent = presence === "available" ? T.no_offers_available : T.no_offers_away;
  }

  function addOffer(o) {
    o.deadline = Date.now() + o.expires_in * 1000;
    offers[o.id] = o;
  }

  /* -- actions ---------------------------------------------------------------------------- */

  function accept(id) {
    call("accept", { interaction_id: id }).then(function (answer) {
      delete offers[id];
      renderOffers();
      if (!answer.ok) { alertText(answer.error); return; }
      alertText("");
      conversations[id] = answer.interaction;
      renderConversations();
      openConversation(id);
    });
  }

  function decline(id) {
    call("decline", { interaction_id: id }).then(function () { delete offers[id]; renderOffers(); });
  }

  function take(id) {
    call("claim", { interaction_id: id }).then(function (answer) {
      if (!answer.ok) { alertText(answer.error); refreshWaiting(); return; }
      conversations[id] = answer.interaction;
      renderConversations();
      refreshWaiting();
      openConversation(id);
    });
  }

  function refreshWaiting() {
    if (!$("waiting")) return;
    call("waiting").then(function (answer) {
      var list = $("waiting");
      list.textContent = "";
      if (!answer.ok) return;
      if (!answer.waiting.length) {
        var empty = document.createElement("li");
        empty.className = "hint";
        empty.textContent = T.empty;
        list.appendChild(empty);
      }
      answer.waiting.forEach(function (w) {
        var li = document.createElement("li");
        li.className = "item";
        var title = document.createElement("p");
        title.className = "item-title";
        title.textContent = describe(w) + " · " + timeOf(w.queued_at);
        li.appendChild(title);
        li.appendChild(button(T.take, function () { take(w.id); }));
        list.appendChild(li);
      });
    });
  }
  if ($("refresh-waiting")) $("refresh-waiting").addEventListener("click", refreshWaiting);

  document.querySelectorAll('input[name="presence"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      call("presence", { status: radio.value }).then(function (answer) {
        if (answer.ok) applySnapshot(answer); else alertText(answer.error);
      });
    });
  });

  /* -- the open conversation ---------------------------------------------------------------- */

  var BAD_DELIVERY = ["failed", "undelivered", "opted_out"];

  function metaText(m) {
    var c = conversations[m.interaction_id] || {};
    var texted = c.channel === "sms" || c.channel === "callback";
    var delivery = m.kind === "out" && texted && T.delivery[m.delivery];
    return timeOf(m.at) + (delivery ? " · " + delivery : "");
  }

  // A reply the channel could not deliver gets a "Send again" button (not after STOP).
  function syncResend(item, m) {
    var existing = item.querySelector(".resend");
    var failed = m.kind === "out" && (m.delivery === "failed" || m.delivery === "undelivered");
    if (!failed) { if (existing) existing.remove(); return; }
    if (existing) return;
    var again = button(T.send_again, function () {
      again.disabled = true;
      call("resend", { interaction_id: m.interaction_id, message_id: m.id }).then(function (answer) {
        if (!answer.ok) { again.disabled = false; alertText(answer.error); return; }
        alertText("");
        renderMessage(answer.message);
      });
    }, "button-secondary resend");
    item.appendChild(again);
  }

  function renderMessage(m) {
    if (String(m.interaction_id) !== String(openId)) return;
    var log = $("staff-transcript");
    var existing = log.querySelector('[data-id="' + m.id + '"]');
    if (existing) {  // the same message again: its delivery changed (SMS reports)
      existing.querySelector(".meta").textContent = metaText(m);
      existing.classList.toggle("undelivered", BAD_DELIVERY.indexOf(m.delivery) >= 0);
      syncResend(existing, m);
      return;
    }
    var item = document.createElement("div");
    item.className = "msg msg-" + (m.kind === "in" ? "out" : m.kind === "out" ? "in" : m.kind);
    item.dataset.id = m.id;
    if (m.kind !== "system") {
      var who = document.createElement("span");
      who.className = "who";
      var c = conversations[openId] || {};
      who.textContent = m.kind === "in" ? (c.resident_name || T.resident) :
        m.kind === "note" ? T.note + " · " + (m.author || "") : (m.author || T.automatic);
      item.appendChild(who);
    }
    var body = document.createElement("p");
    body.className = "body";
    body.textContent = m.body;
    item.appendChild(body);
    var meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = metaText(m);
    item.appendChild(meta);
    if (BAD_DELIVERY.indexOf(m.delivery) >= 0) item.classList.add("undelivered");
    syncResend(item, m);
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  /* again: a reconnect refreshing the open conversation (messages may have come while the
     socket was down); the clerk's focus, phone field and forms are left as they were. */
  function openConversation(id, again) {
    call("open", { interaction_id: id }).then(function (answer) {
      if (!answer.ok) { alertText(answer.error); return; }
      if (again && String(openId) !== String(id)) return;  // the clerk moved on meanwhile
      openId = id;
      var c = answer.interaction;
      conversations[id] = c;
      $("workspace-heading").textContent = describe(c);
      $("workspace-meta").classList.remove("notice");
      $("workspace-meta").textContent = [c.resident_handle, c.can_reply ? "" : T.no_reply]
        .filter(Boolean).join(" · ");
      $("workspace-body").hidden = false;
      $("staff-transcript").textContent = "";
      answer.messages.forEach(renderMessage);
      if (!again) $("clerk-phone").value = root.dataset.phone || "";
      renderCallPanel(c);
      $("mode-reply").disabled = !c.can_reply;
      if (!c.can_reply) $("mode-note").checked = true;
      renderConversations();
      if (again) return;
      $("workspace-heading").focus();
      root.dispatchEvent(new CustomEvent("conversation-opened", { detail: c }));
    });
  }

  /* -- callbacks: Call now and its attempts --------------------------------------------- */

  var ACTIVE_ATTEMPT = ["queued", "ringing_clerk", "dialling", "answered"];
  var progressSaid = "";   // the last call progress announced, so each change is said once

  function attemptText(a) {
    if (a.status === "completed" && a.talk_seconds) {
      return a.talk_seconds >= 60 ? fmt(T.talked_minutes, { minutes: Math.round(a.talk_seconds / 60) })
        : fmt(T.talked_seconds, { seconds: a.talk_seconds });
    }
    return T.attempt[a.status] || a.status;
  }

  function renderCallPanel(c) {
    var panel = $("call-panel");
    var cb = c && c.channel === "callback" ? c.callback : null;
    panel.hidden = !cb;
    if (!cb) { progressSaid = ""; return; }
    $("call-resident-phone").textContent = cb.phone;
    $("call-window").textContent = cb.window;
    var list = $("call-attempts");
    list.textContent = "";
    cb.attempts.forEach(function (a) {
      var li = document.createElement("li");
      li.dataset.status = a.status;
      li.textContent = fmt(T.attempt_line, { time: timeOf(a.at), status: attemptText(a) });
      list.appendChild(li);
    });
    $("call-no-attempts").hidden = cb.attempts.length > 0;
    var last = cb.attempts[cb.attempts.length - 1];
    var active = !!last && ACTIVE_ATTEMPT.indexOf(last.status) >= 0;
    // aria-disabled, not disabled: the button keeps the keyboard focus while a call is on.
    $("call-now").setAttribute("aria-disabled", active ? "true" : "false");
    var said = last ? fmt(T.call_progress, { number: cb.attempts.length, status: attemptText(last) }) : "";
    var key = c.id + ":" + said;
    if (key !== progressSaid) {
      // The first render of a conversation shows the state without announcing it again.
      if (progressSaid.split(":")[0] === String(c.id)) $("call-status").textContent = said;
      else $("call-status").textContent = "";
      progressSaid = key;
    }
  }

  $("call-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!openId || $("call-now").getAttribute("aria-disabled") === "true") return;
    var phone = $("clerk-phone").value.trim();
    $("call-now").setAttribute("aria-disabled", "true");
    call("call", { interaction_id: openId, phone: phone }).then(function (answer) {
      if (!answer.ok) {
        alertText(answer.error);
        $("call-now").setAttribute("aria-disabled", "false");
        $("clerk-phone").focus();
        return;
      }
      alertText("");
      root.dataset.phone = phone || root.dataset.phone;
      conversations[answer.interaction.id] = answer.interaction;
      if (String(openId) === String(answer.interaction.id)) renderCallPanel(answer.interaction);
    });
  });

  /* A callback leaving the clerk after a call that did not reach the resident. */
  function callbackLeft(i) {
    var cb = i.callback || {};
    if (i.state === "scheduled") return fmt(T.rescheduled, { time: momentOf(cb.not_before) });
    if (i.state === "closed" && cb.outcome === "unreachable") return T.given_up;
    return "";
  }

  function closeWorkspace() {
    openId = null;
    $("workspace-body").hidden = true;
    $("workspace-heading").textContent = chooseHeading;
    $("workspace-meta").textContent = "";
    $("workspace-meta").classList.remove("notice");
    renderCallPanel(null);
    root.dispatchEvent(new CustomEvent("conversation-closed"));
  }

  function sendReply() {
    var text = $("reply").value.trim();
    if (!openId || !text) return;
    var mode = document.querySelector('input[name="mode"]:checked').value;
    var sentFor = openId;
    var payload = { interaction_id: openId, body: text };
    if (mode === "reply") payload.client_id = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()));
    // Empty the box now, not when the answer comes: what the clerk types meanwhile is kept.
    $("reply").value = "";
    call(mode, payload).then(function (answer) {
      if (!answer.ok) {
        alertText(answer.error);
        if (String(openId) === String(sentFor) && !$("reply").value) $("reply").value = text;
        return;
      }
      alertText("");
      if (mode === "reply") lastTyping = 0;  // the resident's indicator clears on this reply
      renderMessage(answer.message);
    });
  }

  $("reply-form").addEventListener("submit", function (event) { event.preventDefault(); sendReply(); });
  $("reply").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); sendReply(); }
  });
  $("reply").addEventListener("input", function () {
    var mode = document.querySelector('input[name="mode"]:checked').value;
    if (openId && mode === "reply" && Date.now() - lastTyping > 2000) {
      lastTyping = Date.now();
      socket.emit("typing", { interaction_id: openId, typing: true });
    }
  });

  $("close-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var disposition = $("disposition").value;
    if (!disposition) { alertText(T.choose_outcome); $("disposition").focus(); return; }
    var tags = $("close-tags").value.split(",");
    if ($("close-complaint").checked) tags.push($("close-complaint").value);
    call("close", { interaction_id: openId, disposition: disposition, tags: tags }).then(function (answer) {
      if (!answer.ok) { alertText(answer.error); return; }
      alertText("");
      delete conversations[openId];
      closeWorkspace();
      $("disposition").value = "";
      $("close-tags").value = "";
      $("close-complaint").checked = false;
      renderConversations();
      announce(T.closed);
      $("workspace-heading").focus();
    });
  });

  /* -- transfer and abusive contacts --------------------------------------------------- */

  function fillTransferTargets() {
    call("transfer_targets").then(function (answer) {
      if (!answer.ok) return;
      var departments = $("transfer-department");
      var current = conversations[openId] || {};
      departments.textContent = "";
      answer.departments.forEach(function (d) {
        var option = document.createElement("option");
        option.value = d.code;
        option.textContent = lang === "en" ? d.name_en : d.name_pl;
        if (d.code === current.department) option.selected = true;
        departments.appendChild(option);
      });
      var fillClerks = function () {
        var clerks = $("transfer-clerk");
        clerks.textContent = "";
        var anyone = document.createElement("option");
        anyone.value = "";
        anyone.textContent = T.anyone;
        clerks.appendChild(anyone);
        answer.clerks.forEach(function (c) {
          if (c.departments.indexOf(departments.value) < 0) return;
          var option = document.createElement("option");
          option.value = c.id;
          option.textContent = c.name;
          clerks.appendChild(option);
        });
      };
      departments.onchange = fillClerks;
      fillClerks();
    });
  }
  $("transfer-box").addEventListener("toggle", function () {
    if ($("transfer-box").open) fillTransferTargets();
  });

  function conversationGone(message) {
    delete conversations[openId];
    closeWorkspace();
    renderConversations();
    announce(message);
    $("workspace-heading").focus();
  }

  $("transfer-form").addEventListener("submit", function (event) {
    event.preventDefault();
    call("transfer", {
      interaction_id: openId, department: $("transfer-department").value,
      clerk_id: $("transfer-clerk").value || null, note: $("transfer-note").value
    }).then(function (answer) {
      if (!answer.ok) { alertText(answer.error); return; }
      alertText("");
      $("transfer-note").value = "";
      $("transfer-box").open = false;
      conversationGone(T.transferred);
    });
  });

  $("abuse-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var reason = $("abuse-reason").value.trim();
    if (!reason) { alertText(T.reason_required); $("abuse-reason").focus(); return; }
    call("abusive", { interaction_id: openId, reason: reason }).then(function (answer) {
      if (!answer.ok) { alertText(answer.error); return; }
      alertText("");
      $("abuse-reason").value = "";
      $("abuse-box").open = false;
      conversationGone(T.ended_abusive);
    });
  });

  socket.on("alert", function (a) {
    if (!$("alerts")) return;
    var item = document.createElement("li");
    item.className = "item alert-item";
    item.textContent = fmt(T.alert_abusive, { clerk: a.clerk, id: a.interaction_id, reason: a.reason });
    $("alerts").prepend(item);
  });

  /* -- live events ------------------------------------------------------------------------ */

  socket.on("connect", function () {
    alertText("");
    call("hello").then(function (answer) {
      if (answer.ok) {
        applySnapshot(answer);
        // Still the clerk's: reopen it, so what came while disconnected shows without a click.
        if (openId && conversations[openId]) openConversation(openId, true);
      }
      refreshWaiting();
    });
  });
  socket.on("disconnect", function () { alertText(T.disconnected); });
  socket.on("offer", function (o) {
    addOffer(o);
    renderOffers();
    announce(fmt(T.new_offer, { topic: o.department_name }));
  });
  socket.on("offer_withdrawn", function (w) {
    if (offers[w.interaction_id]) { delete offers[w.interaction_id]; renderOffers(); announce(T.offer_gone); }
  });
  socket.on("message", function (m) { renderMessage(m); if (m.kind === "in") $("staff-typing").textContent = ""; });
  socket.on("interaction", function (i) {
    if (i.state === "assigned" && String(i.clerk_id) === root.dataset.clerk) {
      conversations[i.id] = i;
      renderConversations();
      if (String(openId) === String(i.id)) renderCallPanel(i);
    } else if (conversations[i.id]) {
      var wasOpen = String(openId) === String(i.id);
      var focusInside = $("workspace").contains(document.activeElement);
      var left = i.channel === "callback" ? callbackLeft(i) : "";
      delete conversations[i.id];
      if (wasOpen) closeWorkspace();
      renderConversations();
      if (left) {
        if (wasOpen) {
          $("workspace-meta").textContent = left;
          $("workspace-meta").classList.add("notice");
        }
        announce(left);
        if (wasOpen && focusInside) $("workspace-heading").focus();
      }
    }
  });
  socket.on("presence", function (p) { showPresence(p.presence); });
  socket.on("typing", function (t) {
    if (String(t.interaction_id) !== String(openId)) return;
    $("staff-typing").textContent = t.typing ? T.typing : "";
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { $("staff-typing").textContent = ""; }, 4000);
  });

  setInterval(function () { if (socket.connected) socket.emit("heartbeat", {}); }, 15000);

  // What add-ons such as canned.js may use: the staff socket and the open conversation.
  window.okienkoConsole = { socket: socket, openId: function () { return openId; },
                           current: function () { return openId ? conversations[openId] : null; } };
})();
