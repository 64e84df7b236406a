"""Finding import files by name, and reading them as UTF-8 CSV records without trusting their content.

A file's kind is the one word of its name (split at anything but letters and digits) that names
a kind: `accounts.csv`, `2026-11_usage.csv`, `usage_part2.csv`, `acme-catalog.yaml` are
recognised; `usage2.csv` and `accounts_usage.csv` are not. CSV kinds end in `.csv`, the catalog
in `.yaml` or `.yml`. A folder means its (not hidden) `*.csv` files and the YAML files whose name
has the word `catalog`; sub-folders are not read, and a link to a file outside the folder is refused.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from storage.csv_schema import MAX_CELL, ORDER

CHUNK = 1 << 20
YAML_SUFFIXES = (".yaml", ".yml")
MAX_YAML_BYTES = 1 << 20  # a catalog is a few KB; a megabyte is plenty
MAX_YAML_VALUES = 100_000  # values after aliases are expanded: a "billion laughs" file is refused early


@dataclass(frozen=True)
class Source:
    path: Path
    name: str  # as shown in messages: the path the user gave, or folder/file
    kind: str


class BadRecord(Exception):
    """A record the csv module cannot read; the rest of the file is not trusted."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"{line}: {message}")
        self.line, self.message = line, message


class BadYaml(Exception):
    """A YAML file refused before it is turned into data; the message says why and what to do."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line = message, line


def discover(paths: list[Path]) -> tuple[list[Source], list[str]]:
    """The files to import in reference order (catalog, teams, csms, accounts, children), or errors."""
    sources: list[Source] = []
    errors: list[str] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            members = sorted(p for p in path.iterdir() if p.is_file() and _in_folder(p))
            if not members:
                errors.append(f"{path}: no CSV files or catalog.yaml in this folder")
            folder = path
        elif path.is_file():
            members, folder = [path], path.parent
        else:
            errors.append(f"{path}: no such file or folder")
            continue
        for member in members:
            if not member.resolve().is_relative_to(folder.resolve()):
                errors.append(f"{member}: links to a file outside the imported folder; copy the file in")
                continue
            if member.resolve() in seen:
                continue
            seen.add(member.resolve())
            kind, problem = kind_of(member)
            if kind:
                sources.append(Source(member, str(member), kind))
            else:
                errors.append(f"{member}: {problem}")
    catalogs = [s.name for s in sources if s.kind == "catalog"]
    if len(catalogs) > 1:
        errors.append(f"{catalogs[1]}: only one catalog per import (also given: {catalogs[0]})")
    return sorted(sources, key=lambda s: ORDER.index(s.kind)), errors


def kind_of(path: Path) -> tuple[str, str]:
    """(kind, "") for a recognised name, ("", why not) otherwise."""
    words = set(re.split(r"[^a-z0-9]+", path.stem.lower()))
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        return ("catalog", "") if "catalog" in words else ("", "a YAML file must be named catalog.yaml")
    if suffix != ".csv":
        return "", "not a .csv file or catalog.yaml"
    kinds = [k for k in ORDER if k in words and k != "catalog"]
    if len(kinds) == 1:
        return kinds[0], ""
    if kinds:
        return "", f"the name matches {' and '.join(kinds)}; rename it to one of them"
    expected = ", ".join(f"{k}.csv" for k in ORDER if k != "catalog")
    return "", f"unrecognised file name; expected one of {expected} (a prefix or suffix is fine)"


def _in_folder(path: Path) -> bool:
    if path.name.startswith((".", "~")):
        return False
    suffix = path.suffix.lower()
    return suffix == ".csv" or (suffix in YAML_SUFFIXES and kind_of(path)[0] == "catalog")


def scan(path: Path) -> tuple[int, tuple[int, str] | None]:
    """(line count, None), or (0, (line, message)) for an empty, binary or non-UTF-8 file.

    One fast binary pass, so a bad byte is reported before anything is imported and the line count
    can size a progress bar."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines, content, last = 0, False, b""
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return 0, _locate(path)
            if b"\0" in chunk:
                return 0, _locate(path)
            content = content or bool(chunk.replace(codecs.BOM_UTF8, b"").strip())
            lines += chunk.count(b"\n")
            last = chunk
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return 0, _locate(path)
    if not content:
        return 0, (1, "empty file; expected a header row")
    return lines + (not last.endswith(b"\n")), None


def _locate(path: Path) -> tuple[int, str]:
    """The first line with a NUL byte or invalid UTF-8 (slow path, taken only for a bad file)."""
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            if b"\0" in raw:
                return number, "contains NUL bytes; this is a binary file, not CSV text"
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
    return 1, "not UTF-8 text (the file ends inside a character); save the file as UTF-8"


def load_yaml(path: Path) -> Any:
    """A YAML file's data, without trusting it: at most MAX_YAML_BYTES, and aliases may not expand it
    beyond MAX_YAML_VALUES values (nor refer to themselves). Raises BadYaml or yaml.YAMLError."""
    size = path.stat().st_size
    if size > MAX_YAML_BYTES:
        raise BadYaml(f"the file is {size:,} bytes; a catalog may be at most {MAX_YAML_BYTES:,}")
    loader = yaml.SafeLoader(path.read_text("utf-8-sig"))
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, {}, set())
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_: set[int]) -> int:
    """How many values a node becomes once every alias is copied out; each shared node counted once."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in open_:
        raise BadYaml("an alias refers to the value that contains it; write the catalog without it",
                      node.start_mark.line + 1)  # fmt: skip
    open_.add(id(node))
    children: list[yaml.Node] = []
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    size = 1 + sum(_expanded_size(child, sizes, open_) for child in children)
    open_.discard(id(node))
    if size > MAX_YAML_VALUES:
        raise BadYaml(
            f"its aliases (*name) expand it to more than {MAX_YAML_VALUES:,} values; "
            "write the catalog out without aliases",
            node.start_mark.line + 1,
        )
    sizes[id(node)] = size
    return size


def records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, fields) for each non-blank record; the header comes first."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, strict=True)
        start = 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise BadRecord(start, _csv_message(exc)) from None
            if any(cell.strip() for cell in fields):
                yield start, fields
            start = reader.line_num + 1


def _csv_message(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a cell is longer than {MAX_CELL:,} characters"
    return f"unreadable CSV ({text}); check the quotes on this line"
