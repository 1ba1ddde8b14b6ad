"""What every screen may use besides the state: navigation, the clipboard and the content
service, given once by :func:`~mobile_app.app.App` through a Flet context instead of being
passed from view to view.

Screens read it with :func:`use_services` (inside a component). Plain render helpers keep
taking what they need as arguments, so they stay testable without a page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import flet as ft

if TYPE_CHECKING:
    from mobile_app.sync.service import ContentService

__all__ = ["Handler", "Open", "Services", "ServicesContext", "use_services"]

Handler = Callable[[Any], Any]
"""An event handler (sync or async)."""
Open = Callable[[str], Handler]
"""Builds the handler that opens a URL (see :mod:`mobile_app.ui.routes`)."""


def _nowhere(path: str) -> Handler:
    def handler(_: Any) -> None:
        raise RuntimeError(f"no Services provided: cannot open {path}")
    return handler


async def _no_clipboard(text: str) -> None:
    raise RuntimeError("no Services provided: cannot copy")


@dataclass(frozen=True)
class Services:
    """The app's services for one browser session."""

    open_route: Open = _nowhere
    """``open_route("/calc/sins")`` is a handler that navigates there."""
    copy_text: Callable[[str], Awaitable[None]] = _no_clipboard
    """Put text on the device's clipboard."""
    content: ContentService | None = None
    """Where the knowledge base comes from and how it is updated (None: bundled only)."""

    async def check_updates(self, _: Any = None) -> None:
        """Look for a content update now (Settings' button)."""
        if self.content is not None:
            await self.content.check()


ServicesContext = ft.create_context(Services())
"""Provided by App for the whole tree; the default fails loudly when a screen is rendered
without it (a test forgetting to provide it), rather than doing nothing on a tap."""


def use_services() -> Services:
    """The session's services (call inside a component)."""
    return ft.use_context(ServicesContext)
