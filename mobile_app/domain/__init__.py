"""The clinical core: pure Python, no UI, no I/O. Runs on CPython 3.11 and Pyodide."""
