/*
 * BoneMets Pocket: three things the prebuilt Flet 1.0.5 web client does not do by itself.
 * Served from the project's assets/ folder; assets/index.html (Flet's page plus one block)
 * loads this file before Flutter starts and calls the functions in server mode.
 *
 *   bonemetsClient.enableSemantics()   Flutter's semantics tree (what screen readers read) is
 *       switched on at start-up, so nobody has to find the hidden "Enable accessibility" button.
 *   bonemetsClient.useDecimalKeypad()  Number fields bring up the decimal keypad on phones:
 *       Flutter gives a focused field inputmode "numeric" (no decimal point on iOS) without
 *       semantics, and nothing at all with semantics (the full keyboard). Fields the app wraps
 *       in ft.Semantics(identifier="bonemets-decimal") get inputmode="decimal".
 *   bonemetsClient.watchConnection()   Server mode only. When the WebSocket to the Flet server
 *       drops, Flutter replaces the whole screen by a "Working..." spinner while the old
 *       fields still take typing. Instead the last screen stays, frozen (no input, hidden from
 *       screen readers) under a banner, until the server answers again; only then is the
 *       close handed to Flutter, which reconnects at once (to the same session, or to a new
 *       one on a restarted server, where the app restores the inputs from its store).
 *
 * Each function is idempotent and independent. The offline PWA (Python in the browser, no
 * WebSocket) can call the first two; watchConnection does nothing there.
 */
(function () {
  "use strict";

  if (window.bonemetsClient) {
    return;
  }

  var DECIMAL_ID = "bonemets-decimal";
  var MESSAGE = "Connection lost \u2014 reconnecting; results are not updating";
  var RESTORED = "Connection restored; results are updating again";
  var started = {};

  function once(name) {
    if (started[name]) {
      return false;
    }
    started[name] = true;
    return true;
  }

  /** Click Flutter's placeholder as a screen reader would, as soon as it exists. */
  function enableSemantics() {
    if (!once("semantics")) {
      return;
    }
    function activate(placeholder) {
      if (placeholder.getAttribute("data-bonemets-activated")) {
        return;
      }
      placeholder.setAttribute("data-bonemets-activated", "1");
      // The desktop enabler accepts any click on the 1x1 placeholder; the mobile enabler
      // (placeholder over the whole view) accepts a click at its exact centre, where a
      // screen reader's double-tap lands.
      var r = placeholder.getBoundingClientRect();
      placeholder.dispatchEvent(new MouseEvent("click", {
        bubbles: true, cancelable: true, view: window,
        clientX: r.left + r.width / 2, clientY: r.top + r.height / 2
      }));
    }
    function check() {
      if (document.querySelector("flt-semantics")) {
        observer.disconnect();  // on: nothing more to do
        return;
      }
      var placeholder = document.querySelector("flt-semantics-placeholder");
      if (placeholder) {
        activate(placeholder);
      }
    }
    var observer = new MutationObserver(check);
    observer.observe(document.documentElement, { childList: true, subtree: true });
    check();
  }

  /** inputmode="decimal" on number fields, kept there when Flutter rewrites the element. */
  function useDecimalKeypad() {
    if (!once("keypad")) {
      return;
    }
    var selector = '[flt-semantics-identifier="' + DECIMAL_ID + '"] input, ' +
      'flt-text-editing-host input[inputmode="numeric"]';
    function apply() {
      var inputs = document.querySelectorAll(selector);
      for (var i = 0; i < inputs.length; i++) {
        if (inputs[i].getAttribute("inputmode") !== "decimal") {
          inputs[i].setAttribute("inputmode", "decimal");
        }
      }
    }
    new MutationObserver(apply).observe(document.documentElement, {
      childList: true, subtree: true, attributes: true,
      attributeFilter: ["inputmode", "flt-semantics-identifier"]
    });
    apply();
  }

  /** The lost-connection banner, and the hand-over of the close to Flutter. */
  function watchConnection(options) {
    if (!once("connection")) {
      return;
    }
    var opts = options || {};
    var message = opts.message || MESSAGE;
    var restored = opts.restored || RESTORED;
    var probeUrl = opts.probeUrl || "version.json";
    var NativeWebSocket = window.WebSocket;
    var live = null;        // the open socket to the Flet server
    var held = null;        // a close withheld from Flutter until the server answers
    var overlay = null;
    var restoring = false;  // the close was handed over; waiting for the new session
    var probing = false;

    function endpoint() {
      var path = (window.flet && window.flet.webSocketEndpoint) || "/ws";
      return path.charAt(0) === "/" ? path : "/" + path;
    }

    function isFletSocket(url) {
      try {
        return new URL(String(url), document.baseURI).pathname === endpoint();
      } catch (e) {
        return false;
      }
    }

    function views() {
      return document.querySelectorAll("flutter-view, flt-glass-pane");
    }

    function freeze() {
      if (overlay) {
        return;
      }
      var active = document.activeElement;
      if (active && active !== document.body && active.blur) {
        active.blur();  // the field being typed in stops taking keys
      }
      var v = views();
      for (var i = 0; i < v.length; i++) {
        v[i].setAttribute("inert", "");  // no focus, no clicks, not read as current
        v[i].setAttribute("aria-hidden", "true");
      }
      overlay = document.createElement("div");
      overlay.id = "bonemets-connection";
      overlay.setAttribute("style",
        "position:fixed;inset:0;z-index:2147483647;background:rgba(255,248,225,0.3);" +
        "touch-action:none;cursor:progress;");
      var banner = document.createElement("div");
      banner.setAttribute("role", "alert");
      banner.setAttribute("aria-live", "assertive");
      banner.setAttribute("style",
        "position:absolute;left:0;right:0;top:0;padding:14px 16px;background:#B3261E;" +
        "color:#FFFFFF;font:600 max(17px,1.05rem)/1.35 Roboto,system-ui,sans-serif;" +
        "text-align:center;" +
        "box-shadow:0 2px 6px rgba(0,0,0,0.4);");
      banner.textContent = message;
      overlay.appendChild(banner);
      var block = function (e) {
        e.preventDefault();
        e.stopPropagation();
      };
      ["pointerdown", "pointerup", "mousedown", "mouseup", "click", "touchstart", "touchend",
        "wheel", "contextmenu"].forEach(function (type) {
        overlay.addEventListener(type, block, { passive: false });
      });
      document.body.appendChild(overlay);
    }

    function thaw() {
      if (!overlay) {
        return;
      }
      overlay.remove();
      overlay = null;
      var v = views();
      for (var i = 0; i < v.length; i++) {
        v[i].removeAttribute("inert");
        v[i].removeAttribute("aria-hidden");
      }
      announce(restored);
    }

    function announce(text) {
      // Screen readers hear that the screen is live again (the page is not visibly changed).
      var note = document.createElement("div");
      note.id = "bonemets-connection-restored";
      note.setAttribute("role", "status");
      note.setAttribute("style", "position:fixed;left:-10000px;top:0;width:1px;height:1px;" +
        "overflow:hidden;");
      document.body.appendChild(note);
      setTimeout(function () {
        note.textContent = text;
      }, 50);
      setTimeout(function () {
        note.remove();
      }, 5000);
    }

    function release() {
      var h = held;
      held = null;
      if (!h) {
        return;
      }
      restoring = true;
      h.socket.bonemetsRelease = true;
      h.socket.dispatchEvent(new CloseEvent("close", {
        code: h.code, reason: h.reason, wasClean: h.wasClean
      }));
    }

    function probe(delay) {
      if (probing) {
        return;
      }
      probing = true;
      setTimeout(function () {
        var url = new URL(probeUrl, document.baseURI);
        url.searchParams.set("bonemets", String(Date.now()));
        fetch(url.toString(), { cache: "no-store" }).then(function (r) {
          return r.ok;
        }, function () {
          return false;
        }).then(function (up) {
          probing = false;
          if (up && held) {
            release();
          } else if (held) {
            probe(Math.min(delay * 2, 4000));
          }
        });
      }, delay);
    }

    function watch(socket) {
      var opened = false;
      socket.addEventListener("open", function () {
        opened = true;
        live = socket;
      });
      socket.addEventListener("message", function () {
        if (restoring && socket === live) {
          // The first message of the new connection carries the whole page: thaw once
          // Flutter has painted it.
          restoring = false;
          setTimeout(thaw, 600);
        }
      });
      socket.addEventListener("error", function (e) {
        if (opened && !socket.bonemetsRelease && !socket.bonemetsClosedByApp) {
          e.stopImmediatePropagation();
        }
      });
      socket.addEventListener("close", function (e) {
        if (!opened || socket.bonemetsRelease || socket.bonemetsClosedByApp) {
          return;  // a failed attempt, our hand-over, or Flutter's own close: Flutter's to see
        }
        e.stopImmediatePropagation();
        if (live === socket) {
          live = null;
        }
        held = { socket: socket, code: e.code, reason: e.reason, wasClean: e.wasClean };
        freeze();
        probe(500);
      });
      var close = socket.close;
      socket.close = function () {
        socket.bonemetsClosedByApp = true;
        return close.apply(socket, arguments);
      };
    }

    function WatchedWebSocket(url, protocols) {
      var socket = protocols === undefined ? new NativeWebSocket(url)
        : new NativeWebSocket(url, protocols);
      if (isFletSocket(url)) {
        watch(socket);
      }
      return socket;
    }
    WatchedWebSocket.prototype = NativeWebSocket.prototype;
    ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (k) {
      WatchedWebSocket[k] = NativeWebSocket[k];
    });
    window.WebSocket = WatchedWebSocket;

    // Wi-Fi gone while the socket still looks open: nothing typed would arrive.
    window.addEventListener("offline", function () {
      if (live) {
        freeze();
      }
    });
    window.addEventListener("online", function () {
      if (!held && !restoring && live && live.readyState === NativeWebSocket.OPEN) {
        thaw();
      }
    });
  }

  window.bonemetsClient = {
    DECIMAL_ID: DECIMAL_ID,
    MESSAGE: MESSAGE,
    RESTORED: RESTORED,
    enableSemantics: enableSemantics,
    useDecimalKeypad: useDecimalKeypad,
    watchConnection: watchConnection
  };
})();
