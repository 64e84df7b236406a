"""CSV and catalog import: all or nothing in one transaction, idempotent upsert, precise errors.

Errors read `file:line: column: message`; the column is left out when a message is about a whole
row (`file:line: message`) or a whole file (`file: message`). Up to 50 are collected, then the
import stops. Any error rolls everything back.

Choices (see csv_schema.py for the columns):
- An optional column missing from the header keeps its stored value on update (new rows get its
  default); a column that is present but empty sets the default.
- accounts.csv `csm_email` and `team`, and csms.csv `team`, must name a known CSM/team once any
  exist (in the database or this import); while there are none they are not checked and the
  summary says so, so a first import of accounts alone works.
- Account plans are checked against the catalog of this import, else the stored one; with neither,
  accounts.csv is refused. A goal with status `achieved` needs `achieved_on`; other goals must not
  have one. Duplicate keys are errors within a file and across files of the same kind.
- Counts: rows inserted (table count before/after) and rows changed (the upsert only touches rows
  whose values differ and returns them); the rest are unchanged. Exact at any size.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Connection, Engine, select

from playbooks.catalog import CatalogError, parse_catalog
from storage.csv_schema import SPECS, Col, FileSpec
from storage.csv_source import BadRecord, BadYaml, Source, discover, load_yaml, records, scan
from storage.db import table
from storage.models import Account, CatalogDoc, Csm, Team, UsageSummary
from storage.upsert import BATCH, Writer, store_catalog
from storage.usage_keys import UsageKeys
from storage.usage_summary import Trails

MAX_ERRORS = 50
PROGRESS_LINES = 50_000
OWN_REF = {"accounts": "account", "csms": "csm", "teams": "team"}  # kinds whose keys others name
REF_LABEL = {"account": "account id", "csm": "CSM", "team": "team", "plan": "plan"}


class ImportFailed(Exception):
    """Nothing was imported; `errors` says why, one `file:line: column: message` each."""

    def __init__(self, errors: list[str], truncated: bool = False) -> None:
        more = f" (stopped after {MAX_ERRORS})" if truncated else ""
        super().__init__(f"{len(errors)} error(s){more}: " + "; ".join(errors[:3]))
        self.errors, self.truncated = errors, truncated


@dataclass
class FileResult:
    name: str
    kind: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def describe(self) -> str:
        if self.kind == "catalog":
            return f"{self.name}: " + ("added" if self.added else "updated" if self.updated else "unchanged")
        if not self.rows:
            return f"{self.name}: no rows"
        return f"{self.name}: {self.added:,} added, {self.updated:,} updated, {self.unchanged:,} unchanged"


@dataclass
class ImportSummary:
    files: list[FileResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line per file with what changed, then the warnings."""
        return "\n".join([f.describe() for f in self.files] + [f"warning: {w}" for w in self.warnings])

    @property
    def changed(self) -> int:
        return sum(f.added + f.updated for f in self.files)


def import_paths(engine: Engine, paths: list[Path], console: Console | None = None) -> ImportSummary:
    """Import files and folders all or nothing; raise ImportFailed with every error found (up to 50)."""
    sources, problems = discover([Path(p) for p in paths])
    if problems:
        raise ImportFailed(problems)
    with engine.begin() as conn:
        run = _Run(conn, console)
        for kind, group in groupby(sources, key=lambda s: s.kind):
            files = list(group)
            for src in files:
                if kind == "catalog":
                    run.read_catalog(src)
                else:
                    run.read_csv(src, SPECS[kind])
            run.report_duplicates(files)
        if run.errors:
            raise ImportFailed(run.errors)
        if run.usage_changed:
            run.trails.write(conn)
    return ImportSummary(run.results, run.warnings)


@dataclass
class _File:
    """A CSV being read: where it is, what it holds, and its header's columns in order."""

    src: Source
    spec: FileSpec
    cols: list[Col]
    absent: dict[str, Any]  # defaults for the spec's columns that the header lacks


class _Run:
    """One import: what is known to exist, the keys seen, the errors and the results so far."""

    def __init__(self, conn: Connection, console: Console | None) -> None:
        self.conn, self.console = conn, console
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.results: list[FileResult] = []
        plans = _plan_codes(conn.scalar(select(CatalogDoc.__table__.c.document)))
        self.catalog = "none" if plans is None else "ok"  # none | ok | off (broken, or already said)
        self.known: dict[str, set[str]] = {
            "account": set(conn.scalars(select(Account.__table__.c.account_id))),
            "csm": set(conn.scalars(select(Csm.__table__.c.email))),
            "team": set(conn.scalars(select(Team.__table__.c.team))),
            "plan": plans or set(),
        }
        self.seen: dict[str, set[bytes]] = {}
        self.usage_keys = UsageKeys()
        self.trails = Trails(lambda: set(conn.scalars(select(table(UsageSummary).c.account_id))))
        self.usage_changed = False  # unchanged usage rows leave every summary as it is
        self.duplicates: list[tuple[Source, int, tuple[Any, ...]]] = []

    def error(self, name: str, line: int | None, column: str, message: str) -> None:
        where = f"{name}:{line}" if line else name
        self.errors.append(f"{where}: {column}: {message}" if column else f"{where}: {message}")
        if len(self.errors) >= MAX_ERRORS:
            raise ImportFailed(self.errors, truncated=True)

    @property
    def writing(self) -> bool:
        """Writes stop at the first error; validation goes on to report the others."""
        return not self.errors and not self.duplicates

    def _lines(self, src: Source) -> int | None:
        try:
            lines, problem = scan(src.path)
        except OSError as exc:
            lines, problem = 0, (0, f"cannot read: {exc.strerror}")
        if problem:
            self.error(src.name, problem[0], "", problem[1])
            return None
        return lines

    def read_catalog(self, src: Source) -> None:
        """Validate with playbooks.catalog and store the document as CatalogDoc 1."""
        self.catalog = "off"
        if self._lines(src) is None:
            return
        try:
            doc = load_yaml(src.path)
            catalog = parse_catalog(doc)
            doc = json.loads(json.dumps(doc))  # as the JSON column will give it back
        except BadYaml as exc:
            self.error(src.name, exc.line, "", f"refused: {exc.message}")
        except RecursionError:
            self.error(src.name, None, "", "refused: nested too deeply to be a catalog")
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or exc
            self.error(src.name, mark.line + 1 if mark else None, "", f"invalid YAML: {problem}")
        except CatalogError as exc:
            self.error(src.name, None, "", str(exc))
        except (TypeError, ValueError) as exc:
            self.error(src.name, None, "", f"holds a value JSON cannot store (quote dates): {exc}")
        else:
            self.catalog, self.known["plan"] = "ok", {p.code for p in catalog.plans}
            if self.writing:
                self.results.append(FileResult(src.name, "catalog", **asdict(store_catalog(self.conn, doc))))

    def read_csv(self, src: Source, spec: FileSpec) -> None:
        """Validate every row, upserting in batches while no error has been found."""
        lines = self._lines(src)
        if lines is None:
            return
        try:
            rows = records(src.path)
            file = self._header(src, spec, next(rows, None))
            if file is None:
                return
            present = [c.name for c in file.cols]
            writer = Writer(self.conn, spec.model.__table__, spec.key, present, list(spec.by_name))
            with self._progress(src, lines) as tick:
                for n, (line, fields) in enumerate(rows, 1):
                    row = self._row(file, line, fields)
                    if row is not None and self.writing:
                        writer.add(row)
                        if spec.kind == "usage":
                            self.trails.add(row["account_id"], row)
                    if n % BATCH == 0:
                        tick(line)
            if self.writing:
                result = FileResult(src.name, spec.kind, **asdict(writer.finish()))
                self.results.append(result)
                self.usage_changed |= spec.kind == "usage" and bool(result.added or result.updated)
        except BadRecord as exc:
            self.error(src.name, exc.line, "", exc.message)

    def _header(self, src: Source, spec: FileSpec, header: tuple[int, list[str]] | None) -> _File | None:
        if header is None:
            self.error(src.name, 1, "", "empty file; expected a header row")
            return None
        names = [h.strip().lower() for h in header[1]]
        before = len(self.errors)
        for i, name in enumerate(names):
            if name not in spec.by_name:
                expected = ", ".join(spec.by_name)
                self.error(src.name, 1, name or f"column {i + 1}", f"unknown column (expected: {expected})")
            elif name in names[:i]:
                self.error(src.name, 1, name, "column appears twice")
        for col in spec.columns:
            if col.required and col.name not in names:
                self.error(src.name, 1, col.name, "missing required column")
        if len(self.errors) > before:
            return None
        absent = {c.name: c.default for c in spec.columns if c.name not in names}
        return _File(src, spec, [spec.by_name[n] for n in names], absent)

    def _row(self, file: _File, line: int, fields: list[str]) -> dict[str, Any] | None:
        """The row's values, or None after reporting every problem in it."""
        name = file.src.name
        if len(fields) != len(file.cols):
            self.error(name, line, "", f"{len(fields)} fields where the header has {len(file.cols)}")
            return None
        row, failed = dict(file.absent), []
        for col, raw in zip(file.cols, fields, strict=True):
            value = raw.strip()
            if not value:
                row[col.name] = col.default
                if col.required:
                    failed.append(col.name)
                    self.error(name, line, col.name, "required")
                continue
            try:
                if len(value) > col.max_len:
                    raise ValueError(f"longer than {col.max_len:,} characters ({len(value):,})")
                row[col.name] = parsed = col.parse(value)
            except ValueError as exc:
                failed.append(col.name)
                got = "" if len(value) > col.max_len else f" (got {_show(value)})"
                self.error(name, line, col.name, f"{exc}{got}")
                continue
            if col.ref and parsed not in self.known[col.ref]:
                self._unknown(name, line, col, parsed)
        if not failed and file.spec.check:
            for column, message in file.spec.check(row):
                failed.append(column)
                self.error(name, line, column, message)
        if not failed or not any(k in failed for k in file.spec.key):
            self._see_key(file, line, tuple(row[k] for k in file.spec.key))
        return None if failed else row

    def _unknown(self, name: str, line: int, col: Col, value: str) -> None:
        """A reference to nothing: an error, except CSMs and teams while there are none at all."""
        if col.ref == "plan":
            if self.catalog == "ok":
                plans = ", ".join(sorted(self.known["plan"]))
                self.error(name, line, col.name, f"unknown plan {value!r} (catalog plans: {plans})")
            elif self.catalog == "none":
                self.catalog = "off"
                self.error(
                    name, line, col.name, "no catalog yet; import catalog.yaml first or with this file"
                )
        elif col.ref == "account" or self.known[col.ref]:
            self.error(name, line, col.name, f"unknown {REF_LABEL[col.ref]} {value!r}")
        elif (warning := f"{name}: {col.name} not checked: no {col.ref}s imported yet") not in self.warnings:
            self.warnings.append(warning)

    def _see_key(self, file: _File, line: int, key: tuple[Any, ...]) -> None:
        """Remember a 16-byte digest of each key, so memory stays small; repeats are resolved later."""
        kind = file.spec.kind
        if kind in OWN_REF:
            self.known[OWN_REF[kind]].add(key[0])
        if kind == "usage":  # millions of rows: bits per account and day, not a hash per row
            if self.usage_keys.seen(*key):
                self.duplicates.append((file.src, line, key))
            return
        seen = self.seen.setdefault(kind, set())
        # NUL cannot occur in a cell (scan refuses it), so the joined text is unambiguous.
        digest = hashlib.blake2b("\0".join(map(str, key)).encode(), digest_size=16).digest()
        if digest in seen:
            self.duplicates.append((file.src, line, key))
        seen.add(digest)

    def report_duplicates(self, files: list[Source]) -> None:
        """Find the first line of each repeated key with a second pass, only when there are repeats."""
        repeats = [d for d in self.duplicates if d[0] in files]
        if not repeats:
            return
        spec, wanted = SPECS[files[0].kind], {key for _, _, key in repeats}
        first: dict[tuple[Any, ...], tuple[Source, int]] = {}
        for src in files:
            for line, key in _keys(src, spec):
                if key in wanted:
                    first.setdefault(key, (src, line))
        for src, line, key in repeats:
            where, first_line = first[key]
            at = f"line {first_line}" if where == src else f"{where.name}:{first_line}"
            self.error(src.name, line, ", ".join(spec.key), f"duplicate of {at}")

    @contextmanager
    def _progress(self, src: Source, lines: int) -> Iterator[Callable[[int], None]]:
        """A bar on the console for big files, so a long import does not look stuck."""
        if self.console is None or lines < PROGRESS_LINES:
            yield lambda _line: None
            return
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=self.console, transient=True) as bar:
            task = bar.add_task(f"importing {src.name}", total=lines)
            yield lambda line: bar.update(task, completed=line)


def _keys(src: Source, spec: FileSpec) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(line, key) of each row whose key columns parse, for the duplicate pass."""
    try:
        rows = records(src.path)
        header = [h.strip().lower() for h in next(rows)[1]]
        index = [(header.index(k), spec.by_name[k]) for k in spec.key]
        for line, fields in rows:
            if len(fields) == len(header):
                try:
                    yield line, tuple(col.parse(fields[i].strip()) for i, col in index)
                except ValueError:
                    continue
    except (BadRecord, StopIteration, ValueError):
        return


def _plan_codes(document: Any) -> set[str] | None:
    try:
        return {p.code for p in parse_catalog(document).plans} if document is not None else None
    except CatalogError:
        return None


def _show(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")
