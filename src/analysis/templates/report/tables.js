// Long tables on screen: paged, sortable and searchable with DataTables (the bundle itables
// ships, inline and compressed above). The static table stays as it is without JavaScript,
// and every row shows again for printing.
(function () {
  "use strict";
  var selector = "figure.result-table.long table, .table-wrap.long > table";
  var tables = document.querySelectorAll(selector);
  if (!tables.length || !window.DecompressionStream || !window.Blob) return;

  function inflate(id) {
    var bytes = Uint8Array.from(atob(document.getElementById(id).textContent), function (c) {
      return c.charCodeAt(0);
    });
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text();
  }

  Promise.all([inflate("datatables-js"), inflate("datatables-css")]).then(function (parts) {
    var style = document.createElement("style");
    style.textContent = parts[1];
    document.head.appendChild(style);
    var url = URL.createObjectURL(new Blob([parts[0]], { type: "text/javascript" }));
    return import(url).then(function (module) {
      URL.revokeObjectURL(url);
      var enhanced = [];
      tables.forEach(function (table) {
        var wrap = table.closest(".table-wrap");
        if (wrap) wrap.classList.add("enhanced");
        enhanced.push(new module.ITable(table, {
          pageLength: 25,
          lengthMenu: [10, 25, 50, 100, -1],
          order: [],
          autoWidth: false,
          layout: { topStart: "pageLength", topEnd: "search", bottomStart: "info", bottomEnd: "paging" }
        }));
      });
      var saved = [];
      window.addEventListener("beforeprint", function () {
        saved = enhanced.map(function (dt) {
          var state = { length: dt.page.len(), search: dt.search() };
          dt.search("").page.len(-1).draw();
          return state;
        });
      });
      window.addEventListener("afterprint", function () {
        enhanced.forEach(function (dt, i) {
          if (saved[i]) dt.search(saved[i].search).page.len(saved[i].length).draw();
        });
      });
    });
  }).catch(function (error) {
    console.warn("tables stay static:", error);
  });
})();
