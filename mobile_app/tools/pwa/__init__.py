"""Build the installable, offline PWA: the whole app (Python included) as a static site.

:func:`build_pwa` (``mobile-app build-pwa``) runs ``flet publish main.py --no-cdn`` on a
staging copy of the app and fixes what Flet 1.0.5 gets wrong offline
(``../shared/docs/flet-1.0.5-notes.md`` §4). The package, step by step:

- :mod:`.runtime`: the browser's Pyodide and fixes 1 and 2 (local python-build manifest,
  local Pyodide cache) so publish downloads nothing;
- :mod:`.staging`: the app archive (fix 4: every package bundled in ``__pypackages__``, no
  micropip) and the deployment settings (``--update-url``, ``--trusted-keys``) written into
  the staged package only;
- :mod:`.bytecode`: start-up modules precompiled with the browser's own Python (under Node);
- :mod:`.patches`: named changes to publish's output (fix 3, the Rive CDN stub, the prewarm,
  the service-worker registration) and trimming;
- :mod:`.service_worker`: the precaching ``sw.js`` (``js/sw.js``) with its "update available"
  prompt (``js/register.js``);
- :mod:`.report`: what a first visit downloads.

Static files (icons, the web app manifest, fonts) are committed under the project's
``assets/`` and copied into the site root by publish; nothing is drawn at build time.

Signed content updates (``--update-url URL``, optionally ``--trusted-keys FILE``): the URL is
written into the staged package as ``mobile_app/update_config.json`` (the browser has no
environment variables), a replacement ``trusted_keys.json`` likewise; the source tree is never
touched. The service worker leaves every request to another origin, every ``no-store`` request
(how the app downloads updates) and everything below the update URL to the network.

Only ``mobile-app build-pwa`` (and the tests and benchmark) import this package.
"""

from __future__ import annotations

from mobile_app.tools.pwa.app_spec import BONEMETS, FLET_PACKAGES, ROOT, AppSpec
from mobile_app.tools.pwa.errors import BuildError
from mobile_app.tools.pwa.pipeline import DEFAULT_CACHE, DEFAULT_OUT, build_pwa
from mobile_app.tools.pwa.report import BuildReport, FileSize
from mobile_app.tools.pwa.runtime import PyodideRuntime, pyodide_runtime
from mobile_app.tools.pwa.service_worker import refresh_service_worker, write_service_worker
from mobile_app.tools.pwa.staging import update_base_url

__all__ = [
    "BONEMETS",
    "DEFAULT_CACHE",
    "DEFAULT_OUT",
    "FLET_PACKAGES",
    "ROOT",
    "AppSpec",
    "BuildError",
    "BuildReport",
    "FileSize",
    "PyodideRuntime",
    "build_pwa",
    "pyodide_runtime",
    "refresh_service_worker",
    "update_base_url",
    "write_service_worker",
]
