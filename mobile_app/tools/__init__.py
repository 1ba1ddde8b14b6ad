"""Build and release tools (not imported by the app at run time, not shipped in the PWA)."""
