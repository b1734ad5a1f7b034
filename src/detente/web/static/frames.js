// On a narrow screen an embedded report (iframe.report, same origin) is made as tall as its content, so
// that the page scrolls, not a frame inside it; on a wide screen it keeps its fixed height.
(function () {
  var narrow = window.matchMedia("(max-width: 40rem)");
  function fit(frame) {
    var doc = frame.contentDocument;
    if (!doc || !doc.documentElement) { return; }
    if (narrow.matches) { frame.style.height = Math.ceil(doc.documentElement.getBoundingClientRect().height) + 2 + "px"; }
    else { frame.style.removeProperty("height"); }
  }
  function watch(frame) {
    var doc = frame.contentDocument;
    fit(frame);
    if (doc && doc.documentElement && window.ResizeObserver) {
      new ResizeObserver(function () { fit(frame); }).observe(doc.documentElement);
    }
  }
  document.querySelectorAll("iframe.report").forEach(function (frame) {
    frame.addEventListener("load", function () { watch(frame); });
    if (frame.contentDocument && frame.contentDocument.readyState === "complete"
        && frame.contentDocument.URL !== "about:blank") { watch(frame); }
    narrow.addEventListener("change", function () { fit(frame); });
  });
})();
