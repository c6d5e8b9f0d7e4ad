/* Offline stocktake: the device list and the queue of actions live in
   localStorage; actions carry their own event ids and are sent when there is
   signal. The server stores each event id once, so resending is always safe. */
(function () {
  "use strict";
  var KEY = "stocktake.v1";
  // Names of the codes from the one vocabulary (/vocabulary.js, procurement/core/vocabulary.py).
  var VOCAB = window.VOCAB || {};
  var COND_VI = VOCAB.condition || {};
  var KIND_VI = {};
  Object.keys(VOCAB.stocktake_result || {}).forEach(function (code) {
    var name = VOCAB.stocktake_result[code];
    KIND_VI[code] = name.charAt(0).toLowerCase() + name.slice(1);  // inside a sentence
  });
  var root = document.getElementById("stocktake");
  var state = load(), current = null, syncing = false;

  function $(id) { return document.getElementById(id); }
  function load() { try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { return {}; } }
  function save() { localStorage.setItem(KEY, JSON.stringify(state)); render(); }
  function say(text, tone) { var m = $("st-msg"); m.textContent = text; m.className = "st-msg " + (tone || ""); }
  function eventId() {
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  function api(method, path, body) {
    return fetch(path, {
      method: method, credentials: "same-origin",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { var e = new Error(data.detail || ("HTTP " + r.status)); e.status = r.status; e.data = data; throw e; }
        return data;
      });
    });
  }

  function render() {
    var online = navigator.onLine, queue = state.queue || [];
    $("st-net").innerHTML = online ? "Có mạng" : '<span class="off">Mất sóng: làm việc ngoại tuyến</span>';
    $("st-queue").textContent = queue.length ? queue.length + " thao tác chờ gửi" : "";
    var active = !!state.stocktake;
    $("st-work").hidden = !active; $("st-summary").hidden = !active;
    $("st-start").hidden = active || !online;
    // The round was closed for good while this phone still held results: offer a new one.
    var move = $("st-move");  // absent from a page cached before this button existed
    if (move) move.hidden = !(active && state.closed && queue.length);
    $("st-finish").hidden = !!state.closed;
    if (!active) $("st-title").textContent = "Kiểm kê thiết bị";
    if (active) {
      var tags = Object.keys(state.devices), done = tags.filter(function (t) { return state.done[t]; }).length;
      $("st-title").textContent = "Kiểm kê số " + state.stocktake.id + " · " + state.stocktake.commune_name;
      $("st-n-done").textContent = done; $("st-n-left").textContent = tags.length - done;
      $("st-n-queue").textContent = queue.length;
    }
  }

  function adopt(stocktake) {
    return api("GET", "/api/stocktakes/" + stocktake.id + "/devices").then(function (list) {
      var devices = {}, done = {};
      list.forEach(function (d) { devices[d.tag] = d; if (d.result) done[d.tag] = d.result; });
      state = { stocktake: stocktake, devices: devices, done: done, queue: (state.queue || []) };
      $("st-result").hidden = true;  // the report of an earlier round
      save();
      say("Đã lưu " + list.length + " thiết bị trên máy. Có thể làm việc cả khi mất sóng.", "good");
    });
  }

  function start() {
    if (state.stocktake) { render(); sync(); return; }  // sync also notices a finished round
    if (!navigator.onLine) { say("Cần có sóng để bắt đầu kiểm kê lần đầu.", "bad"); render(); return; }
    api("GET", "/api/stocktakes?status=open").then(function (open) {
      var mine = root.dataset.commune;
      var found = open.filter(function (s) { return !mine || s.commune_code === mine; })[0];
      if (found) return adopt(found);
      render();
    }).catch(function (e) { say(e.message, "bad"); render(); });
  }

  function begin() {
    var input = $("st-commune"), body = {};
    if (input) body.commune_code = input.value.trim();
    api("POST", "/api/stocktakes", body).then(adopt).catch(function (e) { say(e.message, "bad"); });
  }

  function show(tag) {
    var d = state.devices[tag];
    $("st-device").hidden = !d; $("st-unknown").hidden = !!d;
    current = tag;
    if (!d) { say("Mã " + Tags.displayTag(tag) + " không có trong danh sách của xã.", "bad"); return; }
    $("st-d-tag").textContent = d.tag_display;
    $("st-d-name").textContent = d.category_name + " · " + d.make + " " + d.model;
    $("st-d-place").textContent = [d.location_detail, d.assigned_to, "Tình trạng: " + (COND_VI[d.condition] || d.condition)]
      .filter(Boolean).join(" · ");
    var was = state.done[tag];
    if (was === "confirmed" || was === "moved") say("Thiết bị " + d.tag_display + " đã được xác nhận trong đợt kiểm kê này.", "good");
    else if (was) say("Thiết bị " + d.tag_display + ": " + KIND_VI[was] + ".", "");
    else say("", "");
  }

  function lookup(text) {
    var parsed = Tags.tagFromText(text);
    if (!parsed.tag) { $("st-device").hidden = $("st-unknown").hidden = true; current = null; say(parsed.message, "bad"); return; }
    $("st-tag").value = Tags.displayTag(parsed.tag);
    show(parsed.tag);
  }

  function act(button) {
    var kind = button.dataset.act, action = { client_event_id: eventId(), kind: kind, at: new Date().toISOString() };
    if (button.dataset.free) {
      var desc = $("st-desc").value.trim();
      if (!desc) { say("Ghi mô tả thiết bị.", "bad"); return; }
      action.description = desc; $("st-desc").value = "";
    } else {
      if (!current) { say("Nhập hoặc quét mã trước.", "bad"); return; }
      action.tag = current;
      var was = state.done[current];
      if (kind === "confirm" && (was === "confirmed" || was === "moved")) {
        say("Thiết bị " + Tags.displayTag(current) + " đã được xác nhận trong đợt kiểm kê này: không tính lại.", "good");
        return;
      }
      if (button.dataset.condition) action.condition = button.dataset.condition;
      if (kind === "moved") {
        action.location_detail = $("st-moved").value.trim();
        if (!action.location_detail) { say("Ghi nơi thiết bị được chuyển đến.", "bad"); return; }
        $("st-moved").value = "";
      }
      if (state.devices[current]) state.done[current] = kind === "confirm" ? "confirmed" : kind;
    }
    state.queue.push(action);
    save();
    say(navigator.onLine ? "Đã ghi, đang gửi…" : "Đã ghi trên máy; sẽ gửi khi có sóng.", "good");
    $("st-device").hidden = $("st-unknown").hidden = true; $("st-tag").value = ""; current = null;
    sync();
  }

  function sync() {
    var queue = state.queue || [];
    if (syncing || !state.stocktake || !navigator.onLine) { render(); return Promise.resolve(); }
    if (!queue.length) return leaveIfFinished();
    syncing = true;
    var batch = queue.slice(0, 200);
    return api("POST", "/api/stocktakes/" + state.stocktake.id + "/sync", { actions: batch }).then(function (outcomes) {
      var answered = {}, rejected = [];
      outcomes.forEach(function (o) { answered[o.client_event_id] = true; if (o.outcome === "rejected") rejected.push(o.message); });
      state.queue = state.queue.filter(function (a) { return !answered[a.client_event_id]; });
      save();
      say(rejected.length ? "Không ghi được: " + rejected.join(" ") : "Đã gửi " + outcomes.length + " thao tác.", rejected.length ? "bad" : "good");
    }).catch(function (e) {
      if (e.status === 401) say("Cần đăng nhập lại để gửi (dữ liệu vẫn trên máy).", "bad");
      else if (e.status === 409 && e.data.extra && e.data.extra[0] && e.data.extra[0].code === "finished") {
        state.closed = true; save(); say(e.message, "bad");
      }
      else if (e.status) say(e.message, "bad");
      // No answer at all: keep everything and try again later.
    }).then(function () {
      syncing = false; render();
      if (!state.queue.length) return leaveIfFinished();
      if (navigator.onLine && !state.closed) setTimeout(sync, 15000);
    });
  }

  /* A colleague may have finished the round while this phone had no signal: once
     everything it recorded is sent, it leaves the round and shows the result. */
  function leaveIfFinished() {
    if (!state.stocktake || state.queue.length || !navigator.onLine) { render(); return Promise.resolve(); }
    var id = state.stocktake.id;
    return api("GET", "/api/stocktakes/" + id).then(function (report) {
      if (report.status === "open" || !state.stocktake || state.stocktake.id !== id || state.queue.length) return;
      state = { queue: [] }; localStorage.removeItem(KEY); showReport(report); render();
      say("Đợt kiểm kê số " + id + " đã kết thúc; mọi thao tác trên máy đã được gửi.", "good");
    }).catch(function () { render(); });
  }

  /* The round was closed for good: send what this phone holds to the commune's open
     round, starting one if there is none. */
  function moveToNewStocktake() {
    var code = state.stocktake.commune_code;
    api("GET", "/api/stocktakes?status=open").then(function (open) {
      var found = open.filter(function (s) { return s.commune_code === code; })[0];
      return found || api("POST", "/api/stocktakes", { commune_code: code });
    }).then(adopt).then(sync).catch(function (e) { say(e.message, "bad"); });
  }

  function finish() {
    if (state.queue.length) { say("Còn thao tác chưa gửi: cần có sóng để gửi trước khi kết thúc.", "bad"); return; }
    if (!confirm("Kết thúc đợt kiểm kê?")) return;
    var id = state.stocktake.id;
    api("POST", "/api/stocktakes/" + id + "/finish").then(function () {
      return api("GET", "/api/stocktakes/" + id);
    }).then(function (report) {
      state = { queue: [] }; localStorage.removeItem(KEY); showReport(report); render();
      say("Đã kết thúc đợt kiểm kê số " + id + ".", "good");
    }).catch(function (e) { say(e.message, "bad"); });
  }

  function showReport(r) {
    function block(title, items) {
      var li = items.map(function (t) { var e = document.createElement("li"); e.textContent = t; return e.outerHTML; }).join("");
      return "<h3>" + title + " (" + items.length + ")</h3><ul class=\"st-list\">" + li + "</ul>";
    }
    $("st-report").innerHTML = "<h2>Kết quả kiểm kê số " + r.id + "</h2>" +
      block("Đã xác nhận", r.confirmed) + block("Không thấy", r.not_found) + block("Chưa kiểm", r.unchecked) +
      block("Thuộc đơn vị khác", r.elsewhere.map(function (e) { return e.tag_display; })) +
      block("Chưa đăng ký", r.unregistered.map(function (u) { return (u.tag || "") + " " + u.description; }));
    $("st-result").hidden = false;
  }

  /* --- camera ------------------------------------------------------------- */
  var stream = null, decoderReady = null;

  function loadDecoder() {
    if ("BarcodeDetector" in window) {
      var detector = new BarcodeDetector({ formats: ["qr_code"] });
      return Promise.resolve(function (canvas) {
        return detector.detect(canvas).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      });
    }
    // Loaded only when the camera is opened: it is most of the page's weight.
    decoderReady = decoderReady || new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = "/static/vendor/jsQR.min.js"; s.onload = resolve; s.onerror = reject;
      document.head.appendChild(s);
    }).then(function () {
      return function (canvas) {
        var image = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        var code = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        return Promise.resolve(code ? code.data : null);
      };
    });
    return decoderReady;
  }

  function stopCamera() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null; $("st-camera").hidden = true; $("st-camera-open").textContent = "Quét bằng camera";
  }

  function openCamera() {
    if (stream) { stopCamera(); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { say("Máy không cho dùng camera ở đây: hãy gõ mã.", "bad"); return; }
    var video = $("st-camera"), canvas = document.createElement("canvas");
    Promise.all([loadDecoder(), navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })])
      .then(function (ready) {
        var decode = ready[0]; stream = ready[1];
        video.srcObject = stream; video.hidden = false; video.play();
        $("st-camera-open").textContent = "Tắt camera";
        (function tick() {
          if (!stream) return;
          if (video.videoWidth) {
            canvas.width = video.videoWidth; canvas.height = video.videoHeight;
            canvas.getContext("2d").drawImage(video, 0, 0);
            decode(canvas).then(function (text) {
              if (text && Tags.tagFromText(text).tag) { stopCamera(); lookup(text); } else setTimeout(tick, 200);
            }, function () { setTimeout(tick, 400); });
          } else setTimeout(tick, 200);
        })();
      }).catch(function () { stopCamera(); say("Không mở được camera: hãy gõ mã trên nhãn.", "bad"); });
  }

  /* --- wiring ------------------------------------------------------------- */
  $("st-begin").addEventListener("click", begin);
  $("st-form").addEventListener("submit", function (e) { e.preventDefault(); lookup($("st-tag").value); });
  $("st-camera-open").addEventListener("click", openCamera);
  $("st-sync").addEventListener("click", function () { sync(); });
  $("st-finish").addEventListener("click", finish);
  $("st-move-button").addEventListener("click", moveToNewStocktake);
  root.addEventListener("click", function (e) {
    var b = e.target.closest("[data-act]");
    if (b) { e.preventDefault(); act(b); }
  });
  window.addEventListener("online", function () { render(); sync(); });
  window.addEventListener("offline", render);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(function () {});
  window.stocktakeApp = { state: function () { return state; }, sync: sync, loadDecoder: loadDecoder, lookup: lookup };

  state.queue = state.queue || [];
  start();
  // Opened from a label's link with no signal: the worker served this page for /s/TAG.
  var scanned = location.pathname.match(/^\/s\/([^/]+)$/);
  if (scanned && state.stocktake) lookup(decodeURIComponent(scanned[1]));
})();
