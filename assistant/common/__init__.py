"""Shared by both interpreters: imported inside the Rasa server (Python 3.10) and by the launcher,
the action server and the actions (Python 3.11). The standard library only (PyJWT, which both
venvs have, imported where used), so a module here loads under either (tests/test_layout.py)."""
