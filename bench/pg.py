"""A PostgreSQL database of the bench's own: created on the given server, dropped afterwards.

`make bench` never touches a database it did not create; only the server's maintenance database
(`postgres`) is connected to, to run CREATE DATABASE and DROP DATABASE.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url, text


@contextmanager
def own_database(server_url: str) -> Iterator[str]:
    """Yield the URL of a new, empty database on the server of `server_url` (whatever database it names)."""
    url = make_url(server_url)
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
