/* Contract forms: the supplier found by a name typed without diacritics ("phong vu"
   finds "Phong Vũ") or by tax code, from /api/finance/suppliers; choosing one fills
   both fields. Item rows can be added and removed. Without this script the form still
   works: the server finds a supplier by its tax code or by a name that matches one,
   and "Thêm dòng mặt hàng" sends the form back with one more row. */
(function () {
  "use strict";

  function key(text) {  // as the server's search key: no diacritics, lower case
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d")
      .toLowerCase().replace(/\s+/g, " ").trim();
  }

  function suppliers(form) {
    var name = form.querySelector("[data-supplier-name]"), tax = form.querySelector("[data-supplier-tax-code]");
    if (!name || !tax) { return; }
    var list = document.createElement("datalist"), known = {}, timer = null, asked = "";
    list.id = "supplier-options";
    name.setAttribute("list", list.id);
    name.insertAdjacentElement("afterend", list);

    function show(items) {
      list.innerHTML = "";
      known = {};
      items.forEach(function (s) {
        known[s.name] = s;
        var option = document.createElement("option");
        option.value = s.name; option.label = "MST " + s.tax_code; option.textContent = "MST " + s.tax_code;
        list.appendChild(option);
      });
    }
    function pick() {
      var s = known[name.value];
      if (s) { tax.value = s.tax_code; }
    }
    function ask() {
      var text = key(name.value);
      if (text.length < 2 || text === asked) { return; }
      asked = text;
      fetch("/api/finance/suppliers?limit=10&q=" + encodeURIComponent(text), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (page) {
          if (asked !== text) { return; }
          show(page.items);
          // A typed name that now names exactly one supplier fills its tax code.
          if (page.items.length === 1 && key(page.items[0].name).indexOf(text) >= 0 && !tax.value) {
            known[name.value] = page.items[0];
          }
          pick();
        })
        .catch(function () { /* no suggestions: the server still finds the supplier */ });
    }
    name.addEventListener("input", function () {
      pick();
      clearTimeout(timer);
      timer = setTimeout(ask, 200);
    });
    name.addEventListener("change", pick);
  }

  function rows(form) {
    var box = form.querySelector("[data-rows]"), add = form.querySelector("[data-add-row]");
    if (!box) { return; }
    function renumber() {
      box.querySelectorAll("[data-row]").forEach(function (row, n) {
        row.querySelectorAll("[name]").forEach(function (input) {
          input.name = input.name.replace(/-\d+-/, "-" + n + "-");
        });
        var remove = row.querySelector("[data-remove-row]");
        if (remove) { remove.hidden = box.querySelectorAll("[data-row]").length < 2; }
      });
    }
    box.addEventListener("click", function (event) {
      var remove = event.target.closest("[data-remove-row]");
      if (!remove) { return; }
      remove.closest("[data-row]").remove();
      renumber();
    });
    if (add) {
      add.type = "button";
      add.addEventListener("click", function () {
        var all = box.querySelectorAll("[data-row]"), copy = all[all.length - 1].cloneNode(true);
        copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        copy.querySelectorAll(".field-error").forEach(function (error) { error.remove(); });
        box.appendChild(copy);
        renumber();
        var first = copy.querySelector("input");
        if (first) { first.focus(); }
      });
    }
    renumber();
  }

  document.querySelectorAll("form").forEach(function (form) {
    suppliers(form);
    rows(form);
  });
}());
