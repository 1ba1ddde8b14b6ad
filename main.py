"""Flet entry point (``flet run``, ``flet publish``, ``flet build``)."""

import flet as ft

from mobile_app.app import main

ft.run(main)
