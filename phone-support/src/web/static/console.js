// Live calls: the server sends the calls region again on every change (server-sent
// events); it replaces the old one, focus stays on the same control, and the live region
// says how many calls wait when that changes. Without JavaScript the page still works
// (reload it).
(function () {
  "use strict";
  var region = document.getElementById("calls-region");
  if (!region || !window.EventSource) {
    return;
  }
  var announce = document.getElementById("announce");
  var last = region.getAttribute("data-announce");
  var source = new EventSource("/calls/events");
  source.addEventListener("calls", function (event) {
    var current = document.getElementById("calls-region");
    if (!current) {
      return;
    }
    var holder = document.createElement("div");
    holder.innerHTML = event.data;
    var fresh = holder.firstElementChild;
    if (!fresh) {
      return;
    }
    var focused = document.activeElement && current.contains(document.activeElement)
      ? document.activeElement.id : null;
    current.replaceWith(fresh);
    if (focused) {
      var again = document.getElementById(focused);
      if (again) {
        again.focus();
      }
    }
    var said = fresh.getAttribute("data-announce");
    if (said !== last && announce) {
      announce.textContent = said;
    }
    last = said;
  });
})();
