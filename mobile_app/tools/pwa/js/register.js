(function () {
  // Offline support: register the precaching service worker, and offer a reload when a new
  // build has been installed and is waiting (never switch versions under a running app).
  if (!('serviceWorker' in navigator)) return;
  var blink = navigator.vendor === 'Google Inc.' || navigator.userAgent.indexOf('Edg/') >= 0;
  var chromiumCanvasKit = blink && typeof ImageDecoder !== 'undefined' &&
    typeof Intl.v8BreakIterator !== 'undefined' && typeof Intl.Segmenter !== 'undefined';
  var swUrl = 'sw.js?ck=' + (chromiumCanvasKit ? 'chromium' : 'full');
  var userAskedReload = false;

  function showUpdate(reg) {
    if (document.getElementById('pwa-update')) return;
    var bar = document.createElement('div');
    bar.id = 'pwa-update';
    bar.setAttribute('role', 'alert');
    bar.style.cssText = 'position:fixed;left:50%;top:12px;transform:translateX(-50%);' +
      'z-index:2147483647;display:flex;gap:12px;align-items:center;padding:8px 8px 8px 16px;' +
      'border-radius:12px;background:#1565C0;color:#fff;box-shadow:0 4px 16px rgba(0,0,0,.3);' +
      'font:14px/1.4 Roboto,system-ui,sans-serif;max-width:calc(100vw - 24px)';
    var text = document.createElement('span');
    text.textContent = 'Update available';
    var reload = document.createElement('button');
    reload.type = 'button';
    reload.textContent = 'Reload';
    reload.style.cssText = 'font:inherit;font-weight:600;border:0;border-radius:8px;' +
      'padding:6px 14px;background:#fff;color:#1565C0;cursor:pointer';
    text.style.whiteSpace = 'nowrap';
    reload.addEventListener('click', function () {
      var waiting = reg.waiting;
      if (!waiting) { location.reload(); return; }
      userAskedReload = true;
      reload.disabled = true;
      waiting.postMessage({ type: 'SKIP_WAITING' });
    });
    var later = document.createElement('button');
    later.type = 'button';
    later.textContent = 'Later';
    later.setAttribute('aria-label', 'Dismiss update notice');
    later.style.cssText = 'font:inherit;border:0;background:transparent;color:#fff;' +
      'padding:6px 8px;cursor:pointer';
    later.addEventListener('click', function () { bar.remove(); });
    bar.append(text, reload, later);
    document.body.appendChild(bar);
  }

  navigator.serviceWorker.addEventListener('controllerchange', function () {
    if (userAskedReload) { userAskedReload = false; location.reload(); }
  });

  // Registered once the app has started (a few seconds after Flutter's first frame), not at
  // 'load': the precache then finds the files the page itself just loaded in the HTTP cache
  // and revalidates them (304) instead of downloading every file a second time.
  var registered = false;
  function registerSoon(delay) {
    setTimeout(function () { if (!registered) { registered = true; register(); } }, delay);
  }
  window.addEventListener('flutter-first-frame', function () { registerSoon(3000); });
  window.addEventListener('load', function () { registerSoon(30000); });

  function register() {
    navigator.serviceWorker.register(swUrl).then(function (reg) {
      if (reg.waiting && navigator.serviceWorker.controller) showUpdate(reg);
      reg.addEventListener('updatefound', function () {
        var worker = reg.installing;
        if (!worker) return;
        worker.addEventListener('statechange', function () {
          if (worker.state === 'installed' && navigator.serviceWorker.controller) showUpdate(reg);
        });
      });
      document.addEventListener('visibilitychange', function () {
        if (document.visibilityState === 'visible') reg.update().catch(function () {});
      });
    }).catch(function (err) { console.warn('Service worker registration failed:', err); });
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persist().catch(function () {});
    }
  }
})();
