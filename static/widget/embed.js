/* Okienko chat widget for a city website: one tag,
   <script src="https://HUB/static/widget/embed.js" data-lang="pl" defer></script>
   adds a "Chat with the office" button that opens the hub's chat in a frame. */
(function () {
  "use strict";
  var script = document.currentScript;
  var hub = new URL(script.src).origin;
  var lang = script.dataset.lang || document.documentElement.lang || "pl";
  var labels = {
    pl: { open: "Czat z urzędem", title: "Czat z urzędem miasta" },
    en: { open: "Chat with the office", title: "Chat with the city office" }
  }[lang === "en" ? "en" : "pl"];

  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = hub + "/static/widget/embed.css";
  document.head.appendChild(css);

  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "okienko-launcher";
  launcher.textContent = labels.open;
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "okienko-panel");

  var panel = document.createElement("div");
  panel.id = "okienko-panel";
  panel.className = "okienko-panel";
  panel.setAttribute("role", "region");
  panel.setAttribute("aria-label", labels.title);
  panel.hidden = true;

  var frame = null;

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = labels.title;
      frame.allow = "camera; microphone";  // video and voice calls with a clerk
      frame.src = hub + "/chat?embed=1&lang=" + encodeURIComponent(lang);
      frame.className = "okienko-frame";
      frame.addEventListener("load", focusFrame);
      panel.appendChild(frame);
    }
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.hidden = true;
    focusFrame();
  }

  function focusFrame() {
    if (panel.hidden || !frame) return;
    frame.focus();
    frame.contentWindow.postMessage({ type: "okienko:focus" }, hub);
  }

  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();                         // focus goes back where it came from
  }

  launcher.addEventListener("click", open);
  window.addEventListener("message", function (event) {
    if (event.origin === hub && event.data && event.data.type === "okienko:close") close();
  });

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(launcher);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
