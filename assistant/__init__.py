"""The application around the engine, split by the interpreter each module runs under:

- `assistant/` (this folder): the launcher (`cli`, `servers`, `services`, `settings`,
  `voice_demo`) and the action server (`action_server`): Python 3.11, the project's `.venv`.
- `assistant/rasa/`: what the Rasa server loads (its entry point, tracker store, channels):
  Python 3.10, Rasa's `.venv-rasa`.
- `assistant/common/`: what both import (the gate, input limits, log escaping): standard library
  only.

tests/test_layout.py imports each under its interpreter and checks no side imports the other's."""
