"""Hello world in Flet 1.0.5: the yardstick for the PWA benchmark (``bench/bench_pwa.py``).

Built by the project's own PWA pipeline, it pays every cost a Flet app pays in the browser
(Flutter, CanvasKit, Pyodide, Flet itself) and nothing else. In server mode (``python
main.py`` with no display) its button is the round-trip yardstick for a tap.
"""

import os

import flet as ft


def main(page: ft.Page) -> None:
    page.title = "Hello"
    count = ft.Text("Clicked 0 times")
    clicks = [0]

    def click(_: ft.Event[ft.Button]) -> None:
        clicks[0] += 1
        count.value = f"Clicked {clicks[0]} times"

    page.add(ft.Text("Hello, world!"), ft.Button("Click me", on_click=click), count)


# bench_ui.py serves it with the app's renderer (CanvasKit), so a tap compares like with like.
ft.run(main, web_renderer=os.environ.get("BENCH_WEB_RENDERER", "auto"))
