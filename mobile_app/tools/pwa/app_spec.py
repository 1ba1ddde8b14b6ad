"""What goes into the app archive (``app.tar.gz``), and what the browser imports at start.

:data:`BONEMETS` is this app. The benchmark builds a hello-world Flet app through the same
pipeline with its own :class:`AppSpec` (``bench/bench_pwa.py``), so the two differ only in
what they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mobile_app.ui.theme import FONTS

__all__ = ["BONEMETS", "FLET_PACKAGES", "ROOT", "AppSpec"]

ROOT = Path(__file__).resolve().parents[3]

#: Flet in the browser: the package and what it imports (``flet_web``/``flet_cli`` are
#: server and build tools).
FLET_PACKAGES = ("flet", "repath", "six", "msgpack")


@dataclass(frozen=True)
class AppSpec:
    """An app as the PWA build stages it."""

    root: Path
    """Directory the sources are relative to; its ``assets/`` (if any) is copied into the
    site root by ``flet publish``."""
    sources: tuple[str, ...]
    """Files and directories staged into the archive (``main.py`` first)."""
    packages: tuple[str, ...]
    """Distributions installed into ``__pypackages__``, at the versions of this environment."""
    startup_imports: tuple[str, ...]
    """Modules the worker imports while Flutter boots (the prewarm, after Flet itself);
    compiled to bytecode."""
    startup_calls: tuple[str, ...] = ()
    """``module:function`` called by the prewarm after the imports (start-up work)."""
    package: str | None = None
    """The app's own package: all of its modules are compiled to bytecode."""
    skip: tuple[str, ...] = ()
    """Paths below :attr:`root` that are not staged (build tooling)."""
    not_imported: tuple[str, ...] = ()
    """Modules of :attr:`package` that are never imported in the browser."""
    defer_pydantic_schemas: bool = False
    """The prewarm makes pydantic build each model's schema on first use and skip its plugin
    lookup (see :func:`mobile_app.tools.pwa.prewarm.defer_pydantic_schemas` and
    :func:`~mobile_app.tools.pwa.prewarm.skip_pydantic_plugins`)."""
    fonts: Mapping[str, str] = field(default_factory=dict)
    """Font family → file below :attr:`assets`; registered in Flutter's font manifest, so
    they are loaded before the first frame (never a fallback-font request for their glyphs)."""
    name: str = "BoneMets Pocket"
    short_name: str = "BoneMets"
    description: str = "Offline clinical quick reference for bone-metastasis care"
    theme_color: str = "#1565C0"
    background_color: str = "#FFFFFF"

    @property
    def assets(self) -> Path | None:
        """The app's static files (fonts, icons, web app manifest), or ``None``."""
        path = self.root / "assets"
        return path if path.is_dir() else None


#: This app. ``httpx`` is left out of the packages: nothing imports it in the browser, which
#: has no sockets (content updates use the browser's ``fetch``).
BONEMETS = AppSpec(
    root=ROOT,
    sources=("main.py", "mobile_app"),
    packages=(*FLET_PACKAGES, "tinydb", "pydantic", "pydantic-core", "typing-extensions",
              "typing-inspection", "annotated-types", "ecdsa"),
    startup_imports=("mobile_app.app", "mobile_app.store.browser", "mobile_app.sync.browser_fetch"),
    startup_calls=("mobile_app.knowledge.loader:load_bundled",
                   "mobile_app.app:prepare_first_render"),
    package="mobile_app",
    skip=("mobile_app/tools",),
    not_imported=("mobile_app.cli", "mobile_app.__main__"),
    fonts=FONTS,
    defer_pydantic_schemas=True,
)
