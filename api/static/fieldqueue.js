/* The phone's queue of what waits for a signal, one module for stocktake.js (the round's
   actions, a device's actions) and photos.js (photos): IndexedDB database "field-queue",
   store "actions", one record per item ({client_event_id, route, ...}) keyed by an
   autoincrement "seq", a unique index "event" on client_event_id. Each record is added or
   removed in its own transaction, so any number of tabs queue into it at once and none can
   wipe another's. Loaded before either script (window.FieldQueue); each script keeps its own
   BroadcastChannel "field-queue" to tell the other tabs (and the other script) it changed. */
(function () {
  "use strict";
  var dbReady = null;
  function db() {
    dbReady = dbReady || new Promise(function (resolve, reject) {
      var open = indexedDB.open("field-queue", 1);
      open.onupgradeneeded = function () {
        var store = open.result.createObjectStore("actions", { keyPath: "seq", autoIncrement: true });
        store.createIndex("event", "client_event_id", { unique: true });
      };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = function () { reject(open.error); };
    });
    return dbReady;
  }
  /* One transaction on the store; resolves what ``work`` returned once it is committed. */
  function tx(mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction("actions", mode), result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error); };
        result = work(t.objectStore("actions"));
      });
    });
  }
  function add(record) {
    return tx("readwrite", function (store) { store.add(record); });
  }
  /* The queued records in order; only those of ``route`` when given. */
  function all(route) {
    return tx("readonly", function (store) {
      var out = []; store.openCursor().onsuccess = function (e) {
        var c = e.target.result; if (c) { if (!route || c.value.route === route) out.push(c.value); c.continue(); }
      };
      return out;
    });
  }
  function forget(ids) {
    return tx("readwrite", function (store) {
      var index = store.index("event");
      ids.forEach(function (id) {
        index.getKey(id).onsuccess = function (e) { if (e.target.result !== undefined) store.delete(e.target.result); };
      });
    });
  }
  function eventId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)); b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.from(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  window.FieldQueue = { tx: tx, add: add, all: all, forget: forget, eventId: eventId };
})();
