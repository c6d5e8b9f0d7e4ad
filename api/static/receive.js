/* The receiving commune's page of a transfer: scan (or type) each device that arrived.
   A tag is checked on the phone first (tags.js: a mistyped tag never leaves it), then
   sent to POST /api/transfers/{id}/receive; the answer is the device and the counts, so
   the list is marked in place and the camera stays open for the next label. Without
   this script the form posts to the page and the page comes back. */
(function () {
  "use strict";
  var root = document.getElementById("receive");
  var form = document.getElementById("rc-form");
  if (!root || !form) return;
  var transfer = root.getAttribute("data-transfer");
  var input = document.getElementById("rc-tag");
  var msg = document.getElementById("rc-msg");
  var busy = false, camera = null;

  function say(text, kind) { msg.textContent = text; msg.className = "st-msg " + (kind || ""); }

  function mark(tag) {
    var row = document.querySelector('#rc-list li[data-tag="' + tag + '"] .rc-state');
    if (row) { row.textContent = "Đã nhận"; row.className = "rc-state good"; }
  }

  function receive(text) {
    var parsed = Tags.tagFromText(text);
    if (!parsed.tag) { say(parsed.message, "bad"); input.setAttribute("aria-invalid", "true"); return false; }
    if (busy) return false;
    busy = true;
    input.removeAttribute("aria-invalid");
    say("Đang gửi " + Tags.displayTag(parsed.tag) + "…");
    fetch("/api/transfers/" + transfer + "/receive", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ tag: parsed.tag })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error(data.detail || "Không gửi được (mã " + r.status + ").");
        return data;
      });
    }).then(function (data) {
      mark(data.item.tag);
      document.getElementById("rc-received").textContent = data.received;
      var name = Tags.displayTag(data.item.tag);
      say(data.already_received ? name + " đã nhận trước đó." : "Đã nhận " + name + ".", "good");
      if (data.status === "received") say("Đã nhận đủ " + data.devices + " thiết bị.", "good");
      input.value = "";
    }, function (error) {
      say(navigator.onLine ? error.message : "Không có mạng: chưa gửi được, hãy thử lại khi có sóng.", "bad");
    }).then(function () { busy = false; input.focus(); });
    return true;
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script"); s.src = src; s.onload = resolve; s.onerror = reject;
      document.head.appendChild(s);
    });
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); receive(input.value); });
  document.getElementById("rc-camera-open").addEventListener("click", function () {
    var button = this;
    camera = camera || loadScript("/field/camera.js").then(function () { return window.FieldCamera; });
    camera.then(function (cam) {
      /* Keep scanning: each label read is sent, the camera stays open for the next one. */
      var last = "";
      cam.toggle(document.getElementById("rc-camera"), button, function (text) {
        if (text !== last) { last = text; receive(text); }
        return false;
      }, function (message) { say(message, "bad"); });
    }, function () { camera = null; say("Không mở được camera: hãy gõ mã trên nhãn.", "bad"); });
  });
})();
