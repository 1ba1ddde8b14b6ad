"""Settings → "Import update file" and "Share this content": signed content that travels on a
USB stick, a shared drive or a message instead of a network.

Import opens the device's file picker (inside the click, as browsers require: a
:class:`flet.PickFiles` client action) and reads the chosen ``.bmpack`` into memory in the
browser (``with_data``); the bytes go to :meth:`ContentService.import_pack`, which runs the
network update's checks and install. Share saves the installed, verified content as a pack
(:meth:`ContentService.export_pack`): a download in the browser, a save dialog elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from mobile_app.sync.pack import PACK_SUFFIX
from mobile_app.ui.components import TOUCH_STYLE
from mobile_app.ui.services import use_services
from mobile_app.ui.state import AppState

__all__ = ["ContentFileActions"]

_EXTENSIONS = [PACK_SUFFIX.lstrip(".")]


@ft.component
def ContentFileActions(state: AppState) -> ft.Control:
    """The two buttons, and what they do (shown only where there is a content service)."""
    service = use_services().content
    assert service is not None, "Settings shows these only with a content service"
    latest: ft.MutableRef[Callable[[ft.FilePickerResultEvent], Any] | None] = ft.use_ref(None)

    async def picked(e: ft.FilePickerResultEvent) -> None:
        handler = latest.current
        if handler is not None:
            await handler(e)

    picker = ft.use_memo(lambda: ft.FilePicker(on_result=picked), [])

    async def import_file(e: ft.FilePickerResultEvent) -> None:
        if not e.files:
            return
        chosen = e.files[0]
        if chosen.bytes is None:
            state.notify(f"Could not read {chosen.name}")
            return
        await service.import_pack(chosen.bytes, chosen.name)

    latest.current = import_file

    async def share(_: Any) -> None:
        try:
            name, data = service.export_pack()
        except Exception as exc:
            state.notify(f"Nothing to share: {exc}")
            return
        await picker.save_file(dialog_title="Share this content", file_name=name,
                               src_bytes=data, file_type=ft.FilePickerFileType.CUSTOM,
                               allowed_extensions=_EXTENSIONS)
        state.notify(f"Saved {name}: import it on another device with Import update file")

    info = state.update
    busy = info is not None and info.busy
    can_import = info is not None and info.can_import
    shareable = info is not None and info.shareable
    return ft.Row([
        ft.OutlinedButton(
            "Import update file", icon=ft.Icons.UPLOAD_FILE, key="update-import",
            action=ft.PickFiles(picker, dialog_title="Import update file", with_data=True,
                                file_type=ft.FilePickerFileType.CUSTOM,
                                allowed_extensions=_EXTENSIONS),
            disabled=busy or not can_import, style=TOUCH_STYLE),
        ft.OutlinedButton(
            "Share this content", icon=ft.Icons.SHARE, key="update-share", on_click=share,
            disabled=busy or not shareable, tooltip=None if shareable else
            "Only an installed, signed update can be shared", style=TOUCH_STYLE),
    ], wrap=True, spacing=8, run_spacing=8)
