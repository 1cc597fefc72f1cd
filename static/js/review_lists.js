/* Mystery-shopper form: offer only the chosen department's callback times. Without this
   script every department's times are listed under its name, and the server checks. */
(function () {
  "use strict";
  var department = document.getElementById("department");
  var windowSelect = document.getElementById("window");
  if (!department || !windowSelect) return;
  function filter() {
    windowSelect.querySelectorAll("optgroup").forEach(function (group) {
      var mine = group.dataset.department === department.value;
      group.hidden = !mine;
      group.disabled = !mine;
    });
    var chosen = windowSelect.selectedOptions[0];
    if (chosen && chosen.parentElement.disabled) windowSelect.value = "";
  }
  department.addEventListener("change", filter);
  filter();
})();
