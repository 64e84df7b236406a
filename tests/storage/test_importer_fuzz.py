"""No file crashes the importer: every input imports or is refused with located messages, and a refusal
changes nothing."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from test_importer import FILES, snapshot, write_all

from storage.importer import ImportFailed, import_paths

# after the file's name: `:line: column: message`, `:line: message`, or `: message`
LOCATED = re.compile(r"^(:\d+)?: \S", re.DOTALL)
HEADERS = {name: text.splitlines()[0].split(",") for name, text in FILES.items() if name.endswith(".csv")}
CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["ID-001", "SG-001", "2026-11-01", "-1", "1e9", "0.5", "yes", "", '"', "\x00", "ﬀ"]),
    st.integers(-10, 10**12).map(str),
)


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(HEADERS)))
    columns = HEADERS[name]
    header = draw(st.one_of(st.just(columns), st.lists(st.sampled_from([*columns, "extra", ""]), max_size=9)))
    rows = draw(st.lists(st.lists(CELLS, min_size=len(header), max_size=len(header) + 1), max_size=5))
    quote = draw(st.booleans())
    cell = (lambda c: '"' + c.replace('"', '""') + '"') if quote else (lambda c: c)
    text = "\n".join(",".join(cell(c) for c in r) for r in [header, *rows])
    return name, draw(st.one_of(st.just(text), st.text(max_size=200)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(csv_files(), min_size=1, max_size=3))
def test_any_file_imports_or_is_refused_with_located_messages(engine: Engine, files) -> None:
    import_paths(engine, [write_all()]) if not snapshot(engine)["Account"] else None
    before = snapshot(engine)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, (name, text) in enumerate(files):
            path = Path(tmp) / str(i) / name
            path.parent.mkdir()
            path.write_bytes(text.encode("utf-8", "surrogatepass"))
            paths.append(path)
        try:
            import_paths(engine, paths)
        except ImportFailed as failed:
            assert failed.errors
            for error in failed.errors:
                where = next((str(p) for p in paths if error.startswith(f"{p}:")), None)
                assert where and LOCATED.match(error.removeprefix(where)), error
            assert snapshot(engine) == before
