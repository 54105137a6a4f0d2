"""What the Rasa server loads (Python 3.10, Rasa's venv `.venv-rasa`): the server's entry point
(`python -m assistant.rasa.main run`), its tracker store and the channels named in
credentials.yml. These modules import Rasa, what Rasa's venv has (Sanic, SQLAlchemy 1.4, ...) and
`assistant.common`: never the engine (`gradrec_core`), the actions or the launcher
(tests/test_layout.py checks it)."""
