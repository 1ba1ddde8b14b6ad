// Run the browser's Python (the Pyodide that ships in flet_web) under Node.js to import what
// the app imports at start and write bytecode for it (mobile_app/tools/pwa/bytecode.py).
// Usage: node compile.mjs CONFIG.json
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { loadPyodide } = await import(pathToFileURL(config.pyodide + '/pyodide.mjs').href);
const py = await loadPyodide({ indexURL: config.pyodide + '/' });
py.registerJsModule('flet_js', {});
for (const [mount, root] of [['/app', config.app], ['/work', config.work]]) {
  py.FS.mkdirTree(mount);
  py.FS.mount(py.FS.filesystems.NODEFS, { root }, mount);
}
py.globals.set('CONFIG_JSON', JSON.stringify(config));
await py.runPythonAsync(
  "import sys\nsys.path.insert(0, '/work')\nimport compile_startup\n" +
  "compile_startup.main(CONFIG_JSON)\n");
