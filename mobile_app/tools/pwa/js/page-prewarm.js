// BoneMets prewarm (added by mobile_app/tools/pwa.py): start the Python worker now, so
// Pyodide loads while Flutter boots; jsConnect then takes this worker.
let _prewarmedWorker = null;
function _takePrewarmedWorker() {
    const worker = _prewarmedWorker;
    _prewarmedWorker = null;
    return worker;
}
if (flet.pyodide) {
    try {
        _prewarmedWorker = new Worker(
            (flet.entrypointBaseUrl.endsWith("/") ?
                flet.entrypointBaseUrl.slice(0, -1) : flet.entrypointBaseUrl) + "/python-worker.js",
            { type: "module" });
        _prewarmedWorker.postMessage({ bonemetsPrewarm: {
            pyodideUrl: flet.pyodideUrl || "pyodide/pyodide.mjs",
            appPackageUrl: flet.appPackageUrl,
        } });
    } catch (error) {
        console.warn("Could not prewarm the Python worker:", error);
        _prewarmedWorker = null;
    }
}
