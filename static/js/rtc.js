/* Okienko video and voice calls (WebRTC) beside a chat: the resident's page and the clerk's
   console share this file. Signalling goes over the page's Socket.IO connection
   (window.okienkoChat or window.okienkoConsole); media go browser to browser. */
(function () {
  "use strict";

  var box = document.getElementById("rtc");
  if (!box) return;
  var T = JSON.parse(document.getElementById("rtc-i18n").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var clerk = box.dataset.role === "clerk";
  var host = clerk ? window.okienkoConsole : window.okienkoChat;
  if (!host) return;
  var socket = host.socket;
  var CONNECT_TIMEOUT_MS = 30000;

  var call = null;   // {interactionId, kind, pc, stream, pending: [], timer}

  function announce(text) {
    // Cleared first, so the same words said twice are announced twice.
    $("rtc-announce").textContent = "";
    setTimeout(function () { $("rtc-announce").textContent = text; }, 50);
  }
  function status(text) { $("rtc-status").textContent = text; announce(text); }
  function alertText(text) { $("rtc-alert").textContent = text || ""; }

  function emit(event, data) {
    var identity = clerk ? { interaction_id: call ? call.interactionId : data.interaction_id }
      : { token: host.token() };
    var payload = Object.assign({}, data, identity);
    return new Promise(function (resolve) {
      socket.timeout(10000).emit(event, payload, function (err, answer) {
        resolve(err ? { ok: false } : answer);
      });
    });
  }

  function supported() {
    return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.RTCPeerConnection);
  }

  /* -- the call view ------------------------------------------------------------------- */

  function showView(kind) {
    $("rtc-heading").textContent = kind === "video" ? T.video_call : T.voice_call;
    $("rtc-call").classList.toggle("rtc-voice", kind !== "video");
    $("rtc-camera").hidden = kind !== "video";
    $("rtc-mute").setAttribute("aria-pressed", "false");
    $("rtc-camera").setAttribute("aria-pressed", "false");
    $("rtc-call").hidden = false;
    if (clerk) $("rtc-start").hidden = true;
  }

  function getMedia(kind) {
    if (!supported()) return Promise.reject(new Error("unsupported"));
    return navigator.mediaDevices.getUserMedia({ audio: true, video: kind === "video" })
      .then(function (stream) {
        call.stream = stream;
        $("rtc-local").srcObject = stream;
        return stream;
      });
  }

  function connect(iceServers) {
    var pc;
    try {
      pc = new RTCPeerConnection({ iceServers: iceServers || [] });
    } catch (e) {
      fail("failed", T.network_failed);
      return;
    }
    call.pc = pc;
    call.stream.getTracks().forEach(function (track) { pc.addTrack(track, call.stream); });
    pc.onicecandidate = function (event) {
      if (event.candidate) emit("rtc_ice", { candidate: event.candidate.toJSON() });
    };
    pc.ontrack = function (event) {
      var remote = $("rtc-remote");
      if (remote.srcObject !== event.streams[0]) {
        remote.srcObject = event.streams[0];
        var playing = remote.play();
        if (playing) playing.catch(function () {});
      }
    };
    pc.oniceconnectionstatechange = function () {
      var state = pc.iceConnectionState;
      if (state === "connected" || state === "completed") {
        if (call && !call.connected) {
          call.connected = true;
          clearTimeout(call.timer);
          status(T.connected);
        }
      } else if (state === "failed") {
        fail("failed", T.network_failed);
      }
    };
    call.timer = setTimeout(function () {
      if (call && !call.connected) fail("failed", T.network_failed);
    }, CONNECT_TIMEOUT_MS);
    status(T.connecting);
  }

  function flushCandidates() {
    var pending = call.pending;
    call.pending = [];
    pending.forEach(function (c) { call.pc.addIceCandidate(c).catch(function () {}); });
  }

  function signal(message) {
    if (!call || !call.pc || String(message.interaction_id) !== String(call.interactionId)) return;
    var pc = call.pc;
    if (message.sdp) {
      pc.setRemoteDescription(message.sdp).then(function () {
        flushCandidates();
        if (message.sdp.type !== "offer") return null;
        return pc.createAnswer().then(function (answer) {
          return pc.setLocalDescription(answer);
        }).then(function () {
          emit("rtc_answer", { sdp: { type: "answer", sdp: pc.localDescription.sdp } });
        });
      }).catch(function () { fail("failed", T.network_failed); });
    } else if (message.candidate) {
      if (pc.remoteDescription) pc.addIceCandidate(message.candidate).catch(function () {});
      else call.pending.push(message.candidate);
    }
  }

  function stop(text, asAlert) {
    if (call) {
      clearTimeout(call.timer);
      if (call.pc) call.pc.close();
      if (call.stream) call.stream.getTracks().forEach(function (track) { track.stop(); });
    }
    call = null;
    $("rtc-remote").srcObject = null;
    $("rtc-local").srcObject = null;
    $("rtc-call").hidden = true;
    if (!clerk) $("rtc-invite").hidden = true;
    if (clerk) refreshStart();
    $("rtc-status").textContent = "";
    if (asAlert) alertText(text); else if (text) announce(text);
  }

  function fail(reason, text) {
    if (!call) return;
    emit(clerk || call.accepted ? "rtc_hangup" : "rtc_decline", { reason: reason });
    stop(text, true);
  }

  $("rtc-mute").addEventListener("click", function () {
    if (!call || !call.stream) return;
    var muted = this.getAttribute("aria-pressed") !== "true";
    call.stream.getAudioTracks().forEach(function (track) { track.enabled = !muted; });
    this.setAttribute("aria-pressed", String(muted));
    announce(muted ? T.muted : T.unmuted);
  });
  $("rtc-camera").addEventListener("click", function () {
    if (!call || !call.stream) return;
    var off = this.getAttribute("aria-pressed") !== "true";
    call.stream.getVideoTracks().forEach(function (track) { track.enabled = !off; });
    this.setAttribute("aria-pressed", String(off));
    announce(off ? T.camera_off : T.camera_on);
  });
  $("rtc-hangup").addEventListener("click", function () {
    if (!call) return;
    emit("rtc_hangup", {});
    stop(T.you_ended);
  });

  function ended(message) {
    if (!call || String(message.interaction_id) !== String(call.interactionId)) return;
    var text = {
      declined: T.declined, failed: T.other_failed, conversation_ended: T.conversation_ended
    }[message.reason] || T.other_ended;
    stop(text, message.reason === "failed");
  }

  socket.on("rtc_ended", ended);
  window.addEventListener("pagehide", function () {
    // Leaving the page ends the call for the other side too, at once.
    if (call) emit("rtc_hangup", {});
  });
  socket.on("rtc_ice", signal);
  socket.on(clerk ? "rtc_answer" : "rtc_offer", signal);

  /* -- the clerk: invite, then offer once the resident accepts ---------------------------- */

  function refreshStart() {
    var c = host.current && host.current();
    $("rtc-start").hidden = !!call || !c || c.channel !== "webchat" || c.state !== "assigned" ||
      c.resident_left;
    $("rtc-requested").hidden = !(c && c.video_requested);
  }

  function invite(kind) {
    var id = host.openId();
    alertText("");
    call = { interactionId: id, kind: kind, pending: [], accepted: true };
    showView(kind);
    status(T.asking_media);
    getMedia(kind).then(function () {
      return emit("rtc_invite", { kind: kind });
    }, function () {
      stop(T.media_failed, true);
      return null;
    }).then(function (answer) {
      if (!answer) return;
      if (!answer.ok) { stop(answer.error || T.network_failed, true); return; }
      status(T.inviting);
    });
  }

  if (clerk) {
    $("rtc-video").addEventListener("click", function () { invite("video"); });
    $("rtc-voice").addEventListener("click", function () { invite("voice"); });
    document.getElementById("console").addEventListener("conversation-opened", refreshStart);
    socket.on("interaction", function () { setTimeout(refreshStart, 0); });
    socket.on("rtc_accepted", function (message) {
      if (!call || String(message.interaction_id) !== String(call.interactionId)) return;
      connect(message.ice_servers);
      if (!call || !call.pc) return;
      call.pc.createOffer().then(function (offer) {
        return call.pc.setLocalDescription(offer);
      }).then(function () {
        emit("rtc_offer", { sdp: { type: "offer", sdp: call.pc.localDescription.sdp } });
      }).catch(function () { fail("failed", T.network_failed); });
    });
    return;
  }

  /* -- the resident: a clear invitation; the camera is asked for only on accepting ------- */

  var invitation = null;

  socket.on("rtc_invite", function (message) {
    if (call) return;
    invitation = message;
    alertText("");
    var text = message.kind === "video" ? T.invite_video : T.invite_voice;
    $("rtc-invite-heading").textContent = text;
    $("rtc-invite").hidden = false;
    announce(text);
    $("rtc-invite-heading").focus();
  });

  $("rtc-accept").addEventListener("click", function () {
    if (!invitation) return;
    var kind = invitation.kind;
    call = { interactionId: invitation.interaction_id, kind: kind, pending: [], accepted: false };
    $("rtc-invite").hidden = true;
    showView(kind);
    $("rtc-heading").focus();
    status(T.asking_media);
    getMedia(kind).then(function () {
      return emit("rtc_accept", {}).then(function (answer) {
        if (!answer.ok) { stop(answer.error || T.other_ended, true); return; }
        call.accepted = true;
        connect(answer.ice_servers);
      });
    }, function () {
      emit("rtc_decline", { reason: "failed" });
      stop(T.media_failed, true);
    });
  });

  $("rtc-decline").addEventListener("click", function () {
    if (!invitation) return;
    invitation = null;
    emit("rtc_decline", {});
    $("rtc-invite").hidden = true;
    announce(T.you_declined);
    $("message").focus();
  });

  socket.on("rtc_ended", function (message) {
    // An invitation withdrawn before it was answered.
    if (!call && invitation && String(message.interaction_id) === String(invitation.interaction_id)) {
      invitation = null;
      $("rtc-invite").hidden = true;
      announce(T.other_ended);
    }
  });
})();
