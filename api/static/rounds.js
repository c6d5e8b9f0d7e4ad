/* The stocktake page's work that needs signal: finding or starting the commune's
   round, keeping its device list on the phone, finishing it, showing its report,
   moving what a phone holds to a new round. Loaded by stocktake.js when online. */
window.StocktakeRounds = function (app) {
  "use strict";
  var root = document.getElementById("stocktake");
  function $(id) { return document.getElementById(id); }

  function adopt(stocktake) {
    return app.api("GET", "/api/stocktakes/" + stocktake.id + "/devices").then(function (list) {
      var devices = {}, done = {};
      list.forEach(function (d) { devices[d.tag] = d; if (d.result) done[d.tag] = d.result; });
      // What this phone queued and has not sent yet still counts as done.
      app.records().forEach(function (r) {
        if (r.route === "stocktake" && r.action.tag && devices[r.action.tag] && r.action.kind !== "found")
          done[r.action.tag] = r.action.kind === "confirm" ? "confirmed" : r.action.kind;
      });
      app.update(function (s) { s.stocktake = stocktake; s.devices = devices; s.done = done; delete s.closed; });
      $("st-result").hidden = true;  // the report of an earlier round
      app.say("Đã lưu " + list.length + " thiết bị trên máy. Có thể làm việc cả khi mất sóng.", "good");
    });
  }

  function start() {
    app.api("GET", "/api/stocktakes?status=open").then(function (open) {
      var mine = root.dataset.commune;
      var found = open.filter(function (s) { return !mine || s.commune_code === mine; })[0];
      if (found) return adopt(found);
      app.render();
    }).catch(function (e) { app.say(e.message, "bad"); app.render(); });
  }

  function begin() {
    var input = $("st-commune"), body = {};
    if (input) body.commune_code = input.value.trim();
    app.api("POST", "/api/stocktakes", body).then(adopt).catch(function (e) { app.say(e.message, "bad"); });
  }

  /* A colleague may have finished the round while this phone had no signal: once
     everything it recorded is sent, it leaves the round and shows the result. */
  function leaveIfFinished() {
    if (!app.state().stocktake || app.state().queue.length || !navigator.onLine) { app.render(); return Promise.resolve(); }
    var id = app.state().stocktake.id;
    return app.api("GET", "/api/stocktakes/" + id).then(function (report) {
      if (report.status === "open" || !app.state().stocktake || app.state().stocktake.id !== id || app.state().queue.length) return;
      app.update(function (s) { delete s.stocktake; }); showReport(report);
      app.say("Đợt kiểm kê số " + id + " đã kết thúc; mọi thao tác trên máy đã được gửi.", "good");
    }).catch(function () { app.render(); });
  }

  /* The round was closed for good: send what this phone holds to the commune's open
     round, starting one if there is none. */
  function moveToNewStocktake() {
    var old = app.state().stocktake, code = old.commune_code;
    app.api("GET", "/api/stocktakes?status=open").then(function (open) {
      var found = open.filter(function (s) { return s.commune_code === code; })[0];
      return found || app.api("POST", "/api/stocktakes", { commune_code: code });
    }).then(function (round) {
      return app.reassign(old.id, round.id).then(function () { return adopt(round); });
    }).then(app.sync).catch(function (e) { app.say(e.message, "bad"); });
  }

  function finish() {
    if (app.state().queue.length) { app.say("Còn thao tác chưa gửi: cần có sóng để gửi trước khi kết thúc.", "bad"); return; }
    if (!confirm("Kết thúc đợt kiểm kê?")) return;
    var id = app.state().stocktake.id;
    app.api("POST", "/api/stocktakes/" + id + "/finish").then(function () {
      return app.api("GET", "/api/stocktakes/" + id);
    }).then(function (report) {
      app.update(function (s) { delete s.stocktake; }); showReport(report);
      app.say("Đã kết thúc đợt kiểm kê số " + id + ".", "good");
    }).catch(function (e) { app.say(e.message, "bad"); });
  }

  function showReport(r) {
    function block(title, items) {
      var li = items.map(function (t) { var e = document.createElement("li"); e.textContent = t; return e.outerHTML; }).join("");
      return "<h3>" + title + " (" + items.length + ")</h3><ul class=\"st-list\">" + li + "</ul>";
    }
    $("st-report").innerHTML = "<h2>Kết quả kiểm kê số " + r.id + "</h2>" +
      block("Đã xác nhận", r.confirmed) + block("Không thấy", r.not_found) + block("Chưa kiểm", r.unchecked) +
      block("Thuộc đơn vị khác", r.elsewhere.map(function (e) { return e.tag_display; })) +
      block("Chưa đăng ký", r.unregistered.map(function (u) { return (u.tag || "") + " " + u.description; })) +
      "<p><a class=\"button primary\" href=\"/public-property/stocktakes/" + r.id + "/minutes\">Lập biên bản kiểm kê</a></p>";
    $("st-result").hidden = false;
  }

  /* The commune's devices, kept on the phone so a scanned label opens with no signal
     (stocktake.js shows them); fetched again when an hour old. */
  function refreshDevices() {
    var code = root.dataset.commune, key = "field.devices.v1", kept;
    if (!code) return Promise.resolve();
    try { kept = JSON.parse(localStorage.getItem(key)) || {}; } catch (e) { kept = {}; }
    if (kept.commune === code && Date.now() - kept.at < 3600e3) return Promise.resolve();
    return app.api("GET", "/api/assets/field-list").then(function (list) {
      var devices = {};
      list.forEach(function (d) { devices[d.tag] = d; });
      localStorage.setItem(key, JSON.stringify({ commune: code, at: Date.now(), devices: devices }));
    }).catch(function () {});
  }

  return { start: start, refreshDevices: refreshDevices, begin: begin, finish: finish, leaveIfFinished: leaveIfFinished,
           moveToNewStocktake: moveToNewStocktake };
};
