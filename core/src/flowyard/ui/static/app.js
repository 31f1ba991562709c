// flowyard UI: copy buttons and the live log view (server-sent events). No build step.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () { button.textContent = "Copied"; });
    }
  });

  var box = document.getElementById("logs");
  if (!box || !window.EventSource) return;
  var levelSelect = document.getElementById("log-level");
  var followBox = document.getElementById("log-follow");
  var names = { 10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL" };
  function minimum() { return Number(levelSelect.value || 0); }
  function span(cls, text) { var s = document.createElement("span"); s.className = cls; s.textContent = text; return s; }
  box.addEventListener("scroll", function () {
    followBox.checked = box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
  });
  levelSelect.addEventListener("change", function () {
    Array.prototype.forEach.call(box.querySelectorAll("li[data-level]"), function (li) {
      li.hidden = Number(li.getAttribute("data-level")) < minimum();
    });
  });
  var stream = new EventSource(box.getAttribute("data-stream"));
  stream.addEventListener("logs", function (event) {
    var empty = document.getElementById("logs-empty");
    if (empty) empty.remove();
    var fragment = document.createDocumentFragment();
    JSON.parse(event.data).forEach(function (line) {
      var li = document.createElement("li");
      var name = names[line.level] || String(line.level);
      li.id = "L" + line.id;
      li.className = "lvl-" + name.toLowerCase();
      li.setAttribute("data-level", line.level);
      li.hidden = line.level < minimum();
      li.append(span("t", line.time), span("l", name), span("n", line.name), span("m", line.message));
      fragment.append(li);
    });
    box.append(fragment);
    if (followBox.checked) box.scrollTop = box.scrollHeight;
  });
  stream.addEventListener("state", function (event) {
    var s = JSON.parse(event.data);
    var badge = document.querySelector("#run-state .badge");
    badge.textContent = s.name;
    badge.className = "badge st-" + s.type.toLowerCase();
    badge.setAttribute("data-state", s.type);
    document.getElementById("timeline").innerHTML = s.timeline; // rendered and escaped by the server
    document.getElementById("run-infra").textContent = s.infrastructure_id || "—";
    document.getElementById("run-worker").textContent = s.worker || "—";
    document.getElementById("state-message").textContent = s.message || "";
    document.getElementById("run-start").textContent = s.start_time;
    document.getElementById("run-end").textContent = s.end_time;
    var cancel = document.getElementById("cancel-form");
    if (cancel && ["COMPLETED", "FAILED", "CRASHED", "CANCELLED", "CANCELLING"].indexOf(s.type) >= 0) cancel.remove();
  });
  stream.addEventListener("end", function () {
    stream.close();
    var empty = document.getElementById("logs-empty");
    if (empty) empty.textContent = "This run did not produce any logs.";
    document.getElementById("stream-status").textContent = "The run has finished; every log line is shown.";
  });
})();
