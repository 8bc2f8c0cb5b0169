/* arxiv-feeds pages: copy buttons, and the feed builder with its live preview.
 *
 * Everything here is an enhancement: the profile lists and preview pages work without it,
 * and the builder form then submits to /preview. The live preview is rendered by the server
 * (/api/preview.html, the preview page's paper partial, everything escaped there) and parsed
 * with DOMParser, which runs nothing; the feed URLs and every default come from the server.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 350;

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // --- copying ---------------------------------------------------------------------

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return legacyCopy(text); }
      );
    }
    return Promise.resolve(legacyCopy(text));
  }

  function legacyCopy(text) {
    var area = el("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (err) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok;
  }

  function flash(button, text) {
    var original = button.dataset.label || button.textContent;
    button.dataset.label = original;
    button.textContent = text;
    window.setTimeout(function () { button.textContent = original; }, 1800);
  }

  function initCopying() {
    var buttons = document.querySelectorAll("button[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        copyText(button.dataset.copy).then(function (ok) {
          flash(button, ok ? "Copied" : "Press Ctrl+C");
        });
      });
    });
    var fields = document.querySelectorAll("input.copy-field");
    Array.prototype.forEach.call(fields, function (field) {
      field.addEventListener("focus", function () { field.select(); });
    });
  }

  // --- the builder -------------------------------------------------------------------

  function initBuilder(form) {
    var live = form.dataset.live;
    var filter = $("cat-filter");
    var catList = $("cat-list");
    var chips = $("cat-selected");
    var empty = $("cat-empty");
    var output = $("builder-output");
    var feedUrl = $("feed-url");
    var copyButton = $("copy-url");
    var copyStatus = $("copy-status");
    var catStatus = $("cat-status");
    var openFeed = $("open-feed");
    var openPreview = $("open-preview");
    var status = $("preview-status");
    var list = $("preview-list");
    var options = Array.prototype.slice.call(catList.querySelectorAll("label.cat"));
    var boxes = options.map(function (label) { return label.querySelector("input"); });
    var names = {};
    options.forEach(function (label) {
      names[label.querySelector("input").value] = label.querySelector("span").textContent;
    });
    var order = boxes.filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
    var timer = null;
    var controller = null;
    var sequence = 0;
    var current = "";

    output.hidden = false;
    $("builder-submit").parentNode.hidden = true;

    // The form's values as they are (categories in the order picked); the server drops
    // empty fields and defaults and answers with the canonical feed URL.
    function query() {
      var params = new URLSearchParams();
      if (order.length) params.append("cat", order.join(","));
      new FormData(form).forEach(function (value, name) {
        value = String(value).trim();
        if (name !== "cat" && value !== "") params.append(name, value);
      });
      return params.toString();
    }

    function setEnabled(link, enabled) {
      if (enabled) {
        link.removeAttribute("aria-disabled");
      } else {
        link.setAttribute("aria-disabled", "true");
      }
    }

    function showUrls(feed, preview) {
      var ready = Boolean(feed);
      feedUrl.value = feed;
      feedUrl.placeholder = "Pick a category first";
      if (feed) openFeed.href = feed;
      if (preview) openPreview.href = preview;
      setEnabled(openFeed, ready);
      setEnabled(openPreview, ready);
      copyButton.disabled = !ready;
    }

    function renderChips() {
      chips.replaceChildren();
      chips.hidden = order.length === 0;
      order.forEach(function (code) {
        var chip = el("button", "chip removable");
        chip.type = "button";
        chip.dataset.code = code;
        chip.setAttribute("aria-label", "Remove " + code + " " + (names[code] || ""));
        chip.appendChild(el("b", null, code));
        chip.appendChild(document.createTextNode(" " + (names[code] || "") + " "));
        chip.appendChild(el("span", "remove", "×")).setAttribute("aria-hidden", "true");
        chips.appendChild(chip);
      });
    }

    function applyFilter() {
      var tokens = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      options.forEach(function (label) {
        var show = tokens.every(function (token) { return label.dataset.search.indexOf(token) >= 0; });
        label.hidden = !show;
        if (show) shown += 1;
      });
      Array.prototype.forEach.call(catList.querySelectorAll(".cat-group"), function (group) {
        group.hidden = !group.querySelector("label.cat:not([hidden])");
      });
      empty.hidden = shown > 0;
    }

    function visibleBoxes() {
      return boxes.filter(function (box) { return !box.closest("label").hidden; });
    }

    function bestMatch() {
      var text = filter.value.trim().toLowerCase();
      var visible = visibleBoxes();
      var exact = visible.filter(function (box) { return box.value.toLowerCase() === text; });
      return exact[0] || visible[0] || null;
    }

    function syncOrder() {
      boxes.forEach(function (box) {
        var at = order.indexOf(box.value);
        if (box.checked && at < 0) order.push(box.value);
        if (!box.checked && at >= 0) order.splice(at, 1);
      });
      renderChips();
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DEBOUNCE_MS);
    }

    function showStatus(text, kind) {
      status.className = "preview-status" + (kind ? " " + kind : "");
      status.textContent = text;
    }

    function refresh() {
      window.clearTimeout(timer);
      if (!order.length) {
        if (controller) controller.abort();
        current = "";
        list.replaceChildren();
        showUrls("", "");
        showStatus("Pick at least one category to see today’s papers.");
        return;
      }
      var key = query();
      if (key === current) return;
      current = key;
      if (controller) controller.abort();
      controller = typeof AbortController === "function" ? new AbortController() : null;
      var mine = ++sequence;
      output.setAttribute("aria-busy", "true");
      showStatus("Looking for matching papers…", "busy");
      fetch(live + "?" + key, { headers: { Accept: "text/html" }, signal: controller ? controller.signal : undefined })
        .then(function (response) {
          return response.text().then(function (text) { return { ok: response.ok, status: response.status, text: text }; });
        })
        .then(function (answer) {
          if (mine !== sequence) return;
          var parsed = new DOMParser().parseFromString(answer.text, "text/html");
          var line = parsed.querySelector("p.preview-status");
          if (!answer.ok) current = "";
          if (!line) {
            list.replaceChildren();
            showStatus("The preview failed (HTTP " + answer.status + ").", "error");
            return;
          }
          status.className = line.className;
          status.textContent = line.textContent;
          showUrls(line.dataset.feedUrl || "", line.dataset.previewUrl || "");
          var papers = parsed.querySelector("ol.papers");
          var nodes = papers ? Array.prototype.slice.call(papers.children) : [];
          list.replaceChildren.apply(list, nodes.map(function (node) { return document.adoptNode(node); }));
          Array.prototype.forEach.call(list.querySelectorAll("button.more"), function (button) { button.hidden = false; });
        })
        .catch(function (err) {
          if (err && err.name === "AbortError") return;
          if (mine !== sequence) return;
          current = "";
          showStatus("The preview could not be loaded. Check your connection and try again.", "error");
        })
        .then(function () {
          if (mine === sequence) output.removeAttribute("aria-busy");
        });
    }

    // events
    form.addEventListener("input", function (event) {
      if (event.target === filter) return;
      schedule();
    });
    form.addEventListener("change", function (event) {
      if (event.target === filter) return;
      if (event.target.name === "cat") syncOrder();
      schedule();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      refresh();
    });
    filter.addEventListener("input", applyFilter);
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        var box = bestMatch();
        if (box && !box.checked) {
          box.checked = true;
          syncOrder();
          schedule();
        }
        if (box) catStatus.textContent = box.value + " " + (names[box.value] || "") + " selected";
      } else if (event.key === "ArrowDown") {
        var first = visibleBoxes()[0];
        if (first) {
          event.preventDefault();
          first.focus();
        }
      } else if (event.key === "Escape" && filter.value) {
        filter.value = "";
        applyFilter();
      }
    });
    catList.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      var visible = visibleBoxes();
      var at = visible.indexOf(document.activeElement);
      if (at < 0) return;
      event.preventDefault();
      if (event.key === "ArrowDown" && at + 1 < visible.length) visible[at + 1].focus();
      if (event.key === "ArrowUp") (at > 0 ? visible[at - 1] : filter).focus();
    });
    chips.addEventListener("click", function (event) {
      var chip = event.target.closest("button.chip");
      if (!chip) return;
      var box = boxes.filter(function (b) { return b.value === chip.dataset.code; })[0];
      if (box) box.checked = false;
      syncOrder();
      schedule();
      filter.focus();
    });
    list.addEventListener("click", function (event) {
      var more = event.target.closest("button.more");
      if (!more) return;
      var abstract = $(more.getAttribute("aria-controls"));
      var open = abstract.classList.toggle("clamp") === false;
      more.setAttribute("aria-expanded", open ? "true" : "false");
      more.textContent = open ? "Show less" : "Show the whole abstract";
    });
    copyButton.addEventListener("click", function () {
      if (!feedUrl.value) return;
      copyText(feedUrl.value).then(function (ok) {
        copyStatus.textContent = ok ? "Copied the feed URL to the clipboard." : "Select the URL and press Ctrl+C to copy it.";
        flash(copyButton, ok ? "Copied" : "Copy failed");
      });
    });
    [openFeed, openPreview].forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (link.getAttribute("aria-disabled") === "true") {
          event.preventDefault();
          filter.focus();
          showStatus("Pick at least one category first.", "error");
        }
      });
    });

    renderChips();
    applyFilter();
    refresh();
  }

  function init() {
    initCopying();
    var form = $("builder");
    if (form) initBuilder(form);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
