// BoneMets prewarm (added by `mobile-app build-pwa`, mobile_app/tools/pwa/patches.py): load
// Pyodide, unpack the app and import it as soon as the page starts the worker, while Flutter
// boots, instead of waiting for Flutter to ask for it.
self.loadPyodideRuntime = async function (url) {
    const pyodideModule = await import(url);
    const loadPyodide = pyodideModule.loadPyodide || self.loadPyodide;
    return await loadPyodide({
        stdout: (text) => self.sendPythonOutput(text, false),
        stderr: (text) => self.sendPythonOutput(text, true),
    });
};
// Unpack the app archive (an uncompressed tar) into Pyodide's filesystem: much faster than
// Python's tarfile in WebAssembly. Regular files and directories only; no ".." paths.
self.untarInto = function (FS, bytes, dest) {
    const decoder = new TextDecoder();
    const text = (start, length) => {
        let end = start;
        while (end < start + length && bytes[end] !== 0) end++;
        return decoder.decode(bytes.subarray(start, end));
    };
    let offset = 0;
    let longName = null;
    while (offset + 512 <= bytes.length && bytes[offset] !== 0) {
        let name = text(offset, 100);
        const size = parseInt(text(offset + 124, 12).trim() || "0", 8);
        const type = String.fromCharCode(bytes[offset + 156] || 48);
        if (bytes[offset + 262] === 0 && text(offset + 257, 5) === "ustar") {
            const prefix = text(offset + 345, 155);  // POSIX ustar only (not GNU)
            if (prefix) name = prefix + "/" + name;
        }
        const data = offset + 512;
        if (type === "L") {
            longName = text(data, size);
        } else if (type === "x") {
            const match = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text(data, size));
            if (match) longName = match[1];
        } else if (type !== "g") {
            if (longName !== null) { name = longName; longName = null; }
            name = name.replace(/^(\.?\/)+/, "").replace(/\/+$/, "");
            if (name.split("/").includes("..")) throw new Error("unsafe path: " + name);
            if (name && type === "5") {
                FS.mkdirTree(dest + "/" + name);
            } else if (name && (type === "0" || type === "7")) {
                const slash = name.lastIndexOf("/");
                if (slash > 0) FS.mkdirTree(dest + "/" + name.slice(0, slash));
                FS.writeFile(dest + "/" + name, bytes.subarray(data, data + size));
            }
        }
        offset = data + Math.ceil(size / 512) * 512;
    }
};
self.prewarmed = null;
self.prewarm = function (config) {
    self.prewarmed = (async () => {
        // Fetch and gunzip the app archive while Pyodide loads.
        const archive = fetch(config.appPackageUrl).then((response) => response.ok &&
            /\.(tar\.gz|tgz)$/.test(new URL(response.url).pathname) ?
            new Response(response.body.pipeThrough(new DecompressionStream("gzip")))
                .arrayBuffer() : null).catch(() => null);
        const py = await self.loadPyodideRuntime(config.pyodideUrl);
        py.registerJsModule("flet_js", self.flet_js);
        const tar = await archive;
        if (!tar) return py;  // the normal start downloads and unpacks it
        try {
            self.untarInto(py.FS, new Uint8Array(tar), py.FS.cwd());
        } catch (error) {
            console.warn("Could not unpack the app archive in JS:", error);
            return py;
        }
        // The archive is in place: the worker's start skips downloading it again.
        py.globals.set("_bonemets_prewarmed", true);
        try {
            await py.runPythonAsync(
                "import sys\n" +
                "sys.path.insert(0, '__pypackages__')\n" +
                "import _bonemets_prewarm\n" +
                "_bonemets_prewarm.run()\n");
        } catch (error) {
            console.warn("Python prewarm failed; starting normally:", error);
        }
        return py;
    })();
};

