"""Input limits shared by the launcher (Python 3.11) and the guarded REST channel, which runs
inside the Rasa server (Python 3.10): no imports, so both can read it."""

MAX_SENDER_CHARS = 128  # a conversation id: printable, no spaces or control characters
MAX_MESSAGE_CHARS = 1000  # longer messages are cut before NLU (a pasted essay is not a critique)
REQUEST_MAX_SIZE = 64 * 1024  # bytes; larger request bodies get 413 from Sanic
