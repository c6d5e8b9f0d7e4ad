/* Offline stocktake. The round (its id and device list) lives in localStorage; the
   queue of actions lives in IndexedDB, one record per action, each added or removed
   in its own transaction: any number of tabs (a scanned label opens one) queue into
   it at once and none can wipe another's actions. Sending takes a navigator.locks
   lock, so two tabs never send at once; the server stores each event id once anyway. */
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
  var state = load(), current = null, syncing = false, retry = null;
  var channel = "BroadcastChannel" in window ? new BroadcastChannel("field-queue") : null;

  function $(id) { return document.getElementById(id); }
  function load() {
    var s; try { s = JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { s = {}; }
    s.queue = (state && state.queue) || []; s.done = s.done || {};
    return s;
  }
  /* Change the round as stored now (another tab may have changed it), never a stale copy. */
  function update(change) {
    var fresh = load(); change(fresh); state = fresh;
    var kept = {}; Object.keys(fresh).forEach(function (k) { if (k !== "queue") kept[k] = fresh[k]; });
    if (kept.stocktake) localStorage.setItem(KEY, JSON.stringify(kept)); else localStorage.removeItem(KEY);
    render();
  }
  function say(text, tone) { var m = $("st-msg"); m.textContent = text; m.className = "st-msg " + (tone || ""); }
  var Q = window.FieldQueue, tx = Q.tx, eventId = Q.eventId;  // the queue: fieldqueue.js, loaded first
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

  /* --- the queue (IndexedDB, fieldqueue.js) -------------------------------- */
  function changed() { if (channel) channel.postMessage("changed"); return refresh(); }
  /* One record per action: {client_event_id, route: "stocktake" | "asset", ...}. */
  function enqueue(record) { return Q.add(record).then(changed); }
  function queued() { return Q.all(); }
  function forget(ids) { return Q.forget(ids).then(changed); }
  function reassign(from, to) {  // a round closed for good: its actions go to the new round
    return tx("readwrite", function (store) {
      store.openCursor().onsuccess = function (e) {
        var c = e.target.result; if (!c) return;
        if (c.value.route === "stocktake" && c.value.stocktake_id === from) { c.value.stocktake_id = to; c.update(c.value); }
        c.continue();
      };
    }).then(changed);
  }
  /* state.queue is a read-only view of the stored queue, for the counts on the page. */
  var records = [];
  function refresh() {
    return queued().then(function (list) {
      records = list; state.queue = list.filter(function (r) { return r.route === "stocktake"; })
        .map(function (r) { return r.action; });
      render();
    });
  }
  /* A queue kept by an older version of this page in localStorage moves into IndexedDB. */
  function migrate() {
    var old; try { old = JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { old = {}; }
    if (!old.queue || !old.queue.length || !old.stocktake) return Promise.resolve();
    return tx("readwrite", function (store) {
      old.queue.forEach(function (a) {
        var put = store.add({ client_event_id: a.client_event_id, route: "stocktake", stocktake_id: old.stocktake.id, action: a });
        put.onerror = function (e) { e.preventDefault(); e.stopPropagation(); };  // already moved by another tab
      });
    }).then(function () { update(function (s) { delete s.queue; }); });
  }

  function render() {
    var online = navigator.onLine, queue = state.queue || [];
    $("st-net").innerHTML = online ? "Có mạng" : '<span class="off">Mất sóng: làm việc ngoại tuyến</span>';
    $("st-queue").textContent = records.length ? records.length + " thao tác chờ gửi" : "";
    var active = !!state.stocktake;
    $("st-work").hidden = !(active || fieldMode); $("st-summary").hidden = !active;
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

  function show(tag) {
    var d = devicesHere()[tag];
    $("st-device").hidden = !d; $("st-unknown").hidden = !!d || !state.stocktake;
    current = tag;
    if (!d) { say("Mã " + Tags.displayTag(tag) + " không có trong danh sách thiết bị của xã" + (state.stocktake ? "." : " lưu trên máy."), "bad"); return; }
    $("st-d-tag").textContent = d.tag_display;
    $("st-d-name").textContent = d.category_name + " · " + d.make + " " + d.model;
    $("st-d-place").textContent = [d.location_detail, d.assigned_to, "Tình trạng: " + (COND_VI[d.condition] || d.condition)]
      .filter(Boolean).join(" · ");
    var was = state.stocktake && state.done[tag];
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
    state = load();  // another tab may have checked this device meanwhile
    var tag = current;
    if (button.dataset.free) {
      if (!state.stocktake) { say("Cần một đợt kiểm kê để ghi nhận thiết bị chưa đăng ký.", "bad"); return; }
      var desc = $("st-desc").value.trim();
      if (!desc) { say("Ghi mô tả thiết bị.", "bad"); return; }
      action.description = desc; $("st-desc").value = "";
    } else {
      if (!tag) { say("Nhập hoặc quét mã trước.", "bad"); return; }
      action.tag = tag;
      var was = state.done[tag];
      if (kind === "confirm" && (was === "confirmed" || was === "moved")) {
        say("Thiết bị " + Tags.displayTag(tag) + " đã được xác nhận trong đợt kiểm kê này: không tính lại.", "good");
        return;
      }
      if (button.dataset.condition) action.condition = button.dataset.condition;
      if (kind === "moved") {
        action.location_detail = $("st-moved").value.trim();
        if (!action.location_detail) { say("Ghi nơi thiết bị được chuyển đến.", "bad"); return; }
        $("st-moved").value = "";
      }
    }
    $("st-device").hidden = $("st-unknown").hidden = true; $("st-tag").value = ""; current = null;
    var record = state.stocktake
      ? { client_event_id: action.client_event_id, route: "stocktake", stocktake_id: state.stocktake.id, action: action }
      : fieldAction(action);
    if (state.stocktake && tag && state.devices[tag]) update(function (s) { s.done[tag] = kind === "confirm" ? "confirmed" : kind; });
    enqueue(record)
      .then(function () {
        say(navigator.onLine ? "Đã ghi, đang gửi…" : "Đã ghi trên máy; sẽ gửi khi có sóng.", "good");
        sync();
      }, function () { say("Không ghi được trên máy: hãy thử lại.", "bad"); });
  }

  /* --- a scanned label with no round open: the device from the commune's list kept
     on the phone (rounds.js refreshes it), its actions queued for the device's own
     routes, /api/assets/ID/stocktake, /not-found, /move (which count in a round
     opened meanwhile). ------------------------------------------------------ */
  var FIELD = "field.devices.v1", fieldMode = false;
  function devicesHere() {
    if (state.stocktake) return state.devices;
    try { return (JSON.parse(localStorage.getItem(FIELD)) || {}).devices || {}; } catch (e) { return {}; }
  }
  var OPS = { confirm: "stocktake", not_found: "not-found", moved: "move" };
  function fieldAction(action) {
    var d = devicesHere()[action.tag], body = { client_event_id: action.client_event_id };
    if (action.condition) body.condition = action.condition;
    if (action.location_detail) body.location_detail = action.location_detail;
    return { client_event_id: body.client_event_id, route: "asset", asset_id: d.id, tag: d.tag, op: OPS[action.kind], body: body };
  }

  /* Send everything queued, by any tab, one tab at a time. */
  function sync() {
    if (syncing || !navigator.onLine) { render(); return Promise.resolve(); }
    syncing = true; clearTimeout(retry);
    var locked = navigator.locks ? function (work) { return navigator.locks.request("field-queue-send", work); }
      : function (work) { return work(); };
    return locked(sendAll).catch(function () {}).then(function () {
      syncing = false; render();
      var waiting = records.filter(function (r) { return !(state.closed && state.stocktake && r.stocktake_id === state.stocktake.id); });
      if (waiting.length && navigator.onLine) retry = setTimeout(sync, 15000);
      if (!state.queue.length) return online("leaveIfFinished");
    });
  }

  function sendAll(skip) {
    skip = skip || {};  // rounds closed for good: their actions wait for "Gửi vào đợt kiểm kê mới"
    return queued().then(function (list) {
      records = list;
      if (!navigator.onLine) return;
      var first = list.filter(function (r) { return !(r.route === "stocktake" && skip[r.stocktake_id]); })[0];
      if (!first) return refresh();
      var send = first.route === "stocktake" ? sendRound(first.stocktake_id, list)
        : first.route === "photo" ? sendPhoto(first) : sendAsset(first);
      return send.then(function (more) {
        if (more === "closed") skip[first.stocktake_id] = true;
        return more === false ? refresh() : sendAll(skip);
      });
    });
  }

  function sendRound(round, list) {
    var batch = list.filter(function (r) { return r.route === "stocktake" && r.stocktake_id === round; })
      .slice(0, 200).map(function (r) { return r.action; });
    return api("POST", "/api/stocktakes/" + round + "/sync", { actions: batch }).then(function (outcomes) {
      var answered = [], rejected = [];
      outcomes.forEach(function (o) {
        answered.push(o.client_event_id);
        if (o.outcome === "rejected" || o.outcome === "conflict") rejected.push(o.message);
      });
      say(rejected.length ? "Không ghi được: " + rejected.join(" ") : "Đã gửi " + outcomes.length + " thao tác.", rejected.length ? "bad" : "good");
      return forget(answered);
    }).catch(function (e) {
      if (e.status === 401) say("Cần đăng nhập lại để gửi (dữ liệu vẫn trên máy).", "bad");
      else if (e.status === 409 && e.data.extra && e.data.extra[0] && e.data.extra[0].code === "finished") {
        if (state.stocktake && state.stocktake.id === round) update(function (s) { s.closed = true; });
        say(e.message, "bad");
        return "closed";
      }
      else if (e.status) say(e.message, "bad");
      // No answer at all: keep everything and try again later.
      return false;
    });
  }

  /* An action from a device's scan page: the register's own route, with its event id. */
  function sendAsset(r) {
    return api("POST", "/api/assets/" + r.asset_id + "/" + r.op, r.body).then(function () {
      say("Đã gửi thao tác trên thiết bị " + Tags.displayTag(r.tag) + ".", "good");
      return forget([r.client_event_id]);
    }).catch(function (e) {
      if (e.status === 401) { say("Cần đăng nhập lại để gửi (dữ liệu vẫn trên máy).", "bad"); return false; }
      if (!e.status || e.status === 429 || e.status >= 500) return false;  // try again later
      say("Không ghi được (" + Tags.displayTag(r.tag) + "): " + e.message, "bad");
      return forget([r.client_event_id]);  // breaks a rule: resending will not help
    });
  }

  /* --- photos: shrunk and sent by photos.js, loaded when a photo is chosen or queued
     (cached by the service worker, so it also works with no signal). ----------- */
  var photosReady = null;
  function photos() {
    photosReady = photosReady || loadScript("/field/photos.js").then(function () { return window.FieldPhotos; });
    photosReady.catch(function () { photosReady = null; });
    return photosReady;
  }
  function sendPhoto(r) {
    return photos().then(function (P) { return P.send(r); }).then(function (result) {
      if (!result.done) { if (result.message) say(result.message, "bad"); return false; }
      say(result.message, result.ok ? "good" : "bad");
      return forget([r.client_event_id]);
    }, function () { return false; });
  }
  /* The device's id: on the round's list (asset_id) or the commune's list kept on the phone (id). */
  function assetIdOf(tag) {
    var d = devicesHere()[tag], kept;
    if (d && (d.asset_id || d.id)) return d.asset_id || d.id;
    try { kept = ((JSON.parse(localStorage.getItem(FIELD)) || {}).devices || {})[tag]; } catch (e) { kept = null; }
    return kept && kept.id;
  }
  function attachPhoto() {
    var input = $("st-photo"), file = input.files && input.files[0], id = current && assetIdOf(current);
    var d = { id: id, tag: current };
    if (!file) return;
    if (!id) { say(current ? "Máy chưa có mã số của thiết bị này: mở lại trang khi có sóng rồi chụp." : "Nhập hoặc quét mã trước.", "bad"); input.value = ""; return; }
    say("Đang thu nhỏ ảnh…", "");
    photos().then(function (P) {
      return P.queue(file, { id: d.id, tag: d.tag }, $("st-photo-caption").value.trim(), Number(input.dataset.max) || 0);
    }).then(function (record) {
      input.value = ""; $("st-photo-caption").value = "";
      say("Đã lưu ảnh " + Math.round(record.size / 1024) + " KB" +
        (navigator.onLine ? ", đang gửi…" : " trên máy; sẽ gửi khi có sóng."), "good");
      return refresh().then(sync);
    }, function () { input.value = ""; say("Không đọc được ảnh này: hãy chụp lại hoặc chọn ảnh khác.", "bad"); });
  }

  /* Starting, finishing and leaving a round need signal: that code is loaded only then. */
  var roundsReady = null;
  function rounds() {
    roundsReady = roundsReady || loadScript("/field/rounds.js").then(function () {
      return window.StocktakeRounds(app);
    });
    roundsReady.catch(function () { roundsReady = null; });
    return roundsReady;
  }
  function online(method) {
    if (!navigator.onLine) { render(); return Promise.resolve(); }
    return rounds().then(function (r) { return r[method](); }, function () { render(); });
  }

  /* --- camera: its code (and the jsQR decoder, where the browser has no
     BarcodeDetector) is loaded only when the camera is opened. ------------- */
  var camera = null;
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script"); s.src = src; s.onload = resolve; s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  function openCamera() {
    camera = camera || loadScript("/field/camera.js").then(function () { return window.FieldCamera; });
    camera.then(function (cam) {
      cam.toggle($("st-camera"), $("st-camera-open"), function (text) {
        if (Tags.tagFromText(text).tag) { lookup(text); return true; }
      }, function (message) { say(message, "bad"); });
    }, function () { camera = null; say("Không mở được camera: hãy gõ mã trên nhãn.", "bad"); });
  }

  /* --- wiring ------------------------------------------------------------- */
  $("st-begin").addEventListener("click", function () { online("begin"); });
  $("st-form").addEventListener("submit", function (e) { e.preventDefault(); lookup($("st-tag").value); });
  $("st-camera-open").addEventListener("click", openCamera);
  $("st-sync").addEventListener("click", function () { sync(); });
  var photoInput = $("st-photo");  // absent from a page cached before photos existed
  if (photoInput) photoInput.addEventListener("change", attachPhoto);
  $("st-finish").addEventListener("click", function () { online("finish"); });
  $("st-move-button").addEventListener("click", function () { online("moveToNewStocktake"); });
  root.addEventListener("click", function (e) {
    var b = e.target.closest("[data-act]");
    if (b) { e.preventDefault(); act(b); }
  });
  window.addEventListener("online", function () { render(); sync(); });
  window.addEventListener("offline", render);
  // Another tab queued, sent or changed the round: show it here too.
  window.addEventListener("storage", function (e) { if (e.key === KEY) { state = load(); render(); } });
  if (channel) channel.onmessage = function () { refresh(); };
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(function () {});
  var app = {
    state: function () { return state; }, records: function () { return records; }, queued: queued,
    sync: sync, lookup: lookup, api: api, update: update, say: say, render: render, reassign: reassign
  };
  window.stocktakeApp = app;

  migrate().then(refresh).then(function () {
    // Opened from a label's link with no signal: the worker served this page for /s/TAG.
    var path = location.pathname.match(/^\/s\/([^/]+)$/);
    var tag = path && Tags.tagFromText(decodeURIComponent(path[1])).tag;
    fieldMode = !!tag;  // this tab was opened from a label
    sync();  // everything queued, by any tab; also notices a finished round
    if (!state.stocktake && navigator.onLine) online("start");
    else if (!state.stocktake && !tag) { say("Cần có sóng để bắt đầu kiểm kê lần đầu.", "bad"); render(); }
    if (navigator.onLine) online("refreshDevices");
    if (tag) { render(); lookup(tag); }
  });
})();
