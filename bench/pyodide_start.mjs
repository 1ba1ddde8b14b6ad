// The Python work a built PWA does before its first screen, measured under Node.js with the
// site's own Pyodide, archive and prewarm (bench/bench_pwa.py runs this).
//
// Usage: node bench/pyodide_start.mjs SITE MARKER [--modules]
// Prints one JSON line: milliseconds for loading Pyodide, unpacking the app archive (in JS, as
// the browser does), the prewarm (imports and start-up calls, js/worker-prewarm.js), running
// main.py up to ft.run, and from Flutter's "register client" to the first message that
// contains MARKER (the first screen); "python" is the sum of the three Python phases. With
// --modules, also "imported_after_prewarm": the modules first imported after the prewarm
// (by main.py and the first screen), which is what Flutter waits for once it has asked.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';

const [site, marker, ...flags] = process.argv.slice(2);
const withModules = flags.includes('--modules');
const worker = {};
new Function('self', readFileSync(new URL(
  '../mobile_app/tools/pwa/js/worker-prewarm.js', import.meta.url), 'utf8'))(worker);

const t0 = performance.now();
const { loadPyodide } = await import(pathToFileURL(site + '/pyodide/pyodide.mjs').href);
const py = await loadPyodide({ indexURL: site + '/pyodide/' });
const tLoad = performance.now();
const tar = new Uint8Array(gunzipSync(readFileSync(site + '/app.tar.gz')));
py.FS.mkdirTree('/home/pyodide');
py.FS.chdir('/home/pyodide');
worker.untarInto(py.FS, tar, py.FS.cwd());
const tUnpack = performance.now();
// Node has no IndexedDB: the store's IDBFS mount becomes a memory file system.
py.FS.filesystems.IDBFS = py.FS.filesystems.MEMFS;
py.FS.syncfs = (populate, callback) => { callback(null); };
const fletJs = { args: null, documentUrl: 'http://127.0.0.1/', userAppStarting() {} };
py.registerJsModule('flet_js', fletJs);

const needle = new TextEncoder().encode(marker);
function contains(buf) {
  outer: for (let i = 0; i + needle.length <= buf.length; i++) {
    for (let j = 0; j < needle.length; j++) if (buf[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

const tPrewarm0 = performance.now();
await py.runPythonAsync(
  "import os, sys\nsys.path.insert(0, '__pypackages__')\n" +
  "if os.path.exists('_bonemets_prewarm.py') or os.path.exists('_bonemets_prewarm.pyc'):\n" +
  "    import _bonemets_prewarm\n    _bonemets_prewarm.run()\n");
const tPrewarm = performance.now();
if (withModules) py.runPython("import sys\n_bench_before = set(sys.modules)\n");
await py.runPythonAsync("import runpy\nrunpy.run_module('main', run_name='__main__')\n");
const tBoot = performance.now();
let resolveFirst;
const first = new Promise((resolve) => { resolveFirst = resolve; });
let messages = 0;
await fletJs.start_connection((message) => {
  const bytes = message.toJs();
  messages++;
  if (contains(bytes)) resolveFirst(performance.now());
});
const register = py.runPython(
  "import msgpack\nmsgpack.packb([1, {'session_id': '', 'page_name': '', 'page': {" +
  "'route': '/', 'width': 390.0, 'height': 844.0, 'web': True, 'pwa': True, " +
  "'platform': 'android'}}])").toJs();
const packet = new Uint8Array(register.length + 1);
packet.set(register, 1);
const tRegister = performance.now();
fletJs.send(packet);
const tFirst = await Promise.race([first, new Promise((r) => setTimeout(() => r(null), 120000))]);
if (tFirst === null) {
  console.error('no message contained ' + JSON.stringify(marker));
  process.exit(1);
}
const ms = (x) => Math.round(x * 10) / 10;
const extra = withModules ? { imported_after_prewarm: JSON.parse(py.runPython(
  "import json, sys\njson.dumps(sorted(set(sys.modules) - _bench_before))")) } : {};
console.log(JSON.stringify({
  load: ms(tLoad - t0), unpack: ms(tUnpack - tLoad), prewarm: ms(tPrewarm - tPrewarm0),
  boot: ms(tBoot - tPrewarm), main: ms(tFirst - tRegister),
  python: ms(tPrewarm - tPrewarm0 + tBoot - tPrewarm + tFirst - tRegister), messages, ...extra,
}));
process.exit(0);
