"""Local stand-ins for the APIs the bot calls (Slack's Web API and response_urls, Twilio's Messages API),
served on 127.0.0.1 so tests and bench/ drive the real clients with no network. They belong to the tests,
not to the product package (as bolt-python keeps its mock Web API server under tests/)."""

from __future__ import annotations

import threading
from socketserver import BaseServer

POLL_SECONDS = 0.02  # how often a server checks for shutdown: stopping a fake takes at most this long


def serve_in_background(server: BaseServer) -> threading.Thread:
    """Serve until `server.shutdown()`, in a daemon thread (the default 0.5 s poll made every stop slow)."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
    )
    thread.start()
    return thread
