/* Booking a visit: the hold's countdown on the "enter the code" page. The page says the time
   the hold ends without this script; here the minutes left follow the clock, and a screen
   reader hears once when one minute is left and once when the time has run out. */
(function () {
  "use strict";
  var timer = document.getElementById("hold-timer");
  if (!timer) return;
  var minutes = document.getElementById("hold-minutes");
  var announce = document.getElementById("hold-announce");
  var ends = Date.now() + Number(timer.dataset.secondsLeft) * 1000;
  var warned = false;

  function tick() {
    var left = Math.max(0, Math.round((ends - Date.now()) / 1000));
    if (left <= 0) {
      timer.textContent = timer.dataset.expiredText;
      announce.textContent = timer.dataset.expiredText;
      return;
    }
    minutes.textContent = timer.dataset.minutesText.replace("{n}", String(Math.ceil(left / 60)));
    if (left <= 60 && !warned) {
      warned = true;
      announce.textContent = timer.dataset.lastMinuteText;
    }
    window.setTimeout(tick, 1000);
  }
  tick();
}());
