"""The archive's files on disk: their names, manifests and signatures, and rows as JSON lines."""

import gzip
import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from sqlalchemy import Table

from app.audit.schemas import AccessRead, ChangeRead
from app.core.audit.tables import AUDIT_ACCESS, AUDIT_CHANGES

TABLES: dict[str, tuple[Table, type[BaseModel]]] = {
    "audit_changes": (AUDIT_CHANGES, ChangeRead),
    "audit_access": (AUDIT_ACCESS, AccessRead),
}
DATA_SUFFIX = ".jsonl.gz"
MANIFEST_SUFFIX = ".manifest.json"
READ_CHUNK = 1 << 20
# zlib's own default. Level 9 (GzipFile's default) took five times the CPU of the whole
# compression for files 2 % smaller; any level reads back the same.
GZIP_LEVEL = 6


class ArchiveError(Exception):
    """The run stopped; the message says why and what to do."""


def archive_name(table: str, first_id: int, last_id: int) -> str:
    return f"{table}-{first_id}-{last_id}{DATA_SUFFIX}"


def name_pattern(table: str) -> re.Pattern[str]:
    """A table's archive file names; groups: first id, last id."""
    return re.compile(rf"^{re.escape(table)}-(\d+)-(\d+){re.escape(DATA_SUFFIX)}$")


def manifest_of(data: Path) -> Path:
    return data.with_name(data.name + MANIFEST_SUFFIX)


def sign(manifest: dict[str, Any], key: str) -> str:
    body = json.dumps(
        {k: v for k, v in manifest.items() if k != "hmac"}, sort_keys=True, separators=(",", ":")
    )
    return hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()


def manifest_text(manifest: dict[str, Any]) -> str:
    """The bytes a manifest is written as: the chain hashes exactly these."""
    return json.dumps(manifest, indent=2, sort_keys=True)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(tmp: Path, final: Path) -> None:
    """Give `tmp` its final name without ever replacing a file already there."""
    try:
        os.link(tmp, final)
    except FileExistsError as error:
        raise ArchiveError(
            f"{final} already exists; refusing to overwrite it. Run `verify` on it and move it "
            "away if it does not belong to this database."
        ) from error
    finally:
        tmp.unlink(missing_ok=True)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(path: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def signature_problems(where: str, manifest: dict[str, Any], key: str | None) -> list[str]:
    signature = manifest.get("hmac")
    if key is not None and signature is None:
        return [f"{where}: not signed, but AUDIT_ARCHIVE_KEY is set"]
    if signature is not None and key is None:
        return [f"{where}: signed; set AUDIT_ARCHIVE_KEY to check the signature"]
    if key is not None and not hmac.compare_digest(str(signature), sign(manifest, key)):
        return [f"{where}: HMAC does not match (manifest altered or wrong key)"]
    return []


def read_lines(path: Path) -> Iterator[str]:
    """An archive's lines as written (without their newline)."""
    with gzip.open(path, "rt", encoding="utf-8", newline="\n") as lines:
        for line in lines:
            yield line.removesuffix("\n")


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    for line in read_lines(path):
        row: dict[str, Any] = json.loads(line)
        yield row


_encode = json.JSONEncoder(sort_keys=True, allow_nan=False).encode


@dataclass(frozen=True, slots=True)
class RowShape:
    """A table's rows as archive lines: for every row, exactly the text of
    `json.dumps(shape.model_validate(row).model_dump(mode="json"), sort_keys=True)` (the API's
    row shape), without building and dumping a model per row, which took a third of a run."""

    shape: type[BaseModel]
    columns: tuple[str, ...]
    # (column position, conversion) for the fields whose JSON form is not the database value
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]

    @classmethod
    def of(cls, shape: type[BaseModel]) -> "RowShape":
        columns = tuple(shape.model_fields)
        converters: list[tuple[int, Callable[[Any], Any]]] = []
        for position, name in enumerate(columns):
            annotation = shape.model_fields[name].annotation
            kinds = set(get_args(annotation)) or {annotation}
            if datetime in kinds:
                converters.append((position, to_jsonable_python))  # pydantic's own ISO form
            elif float in kinds:
                converters.append((position, float))  # pydantic turns a float field's 2 into 2.0
        return cls(shape, columns, tuple(converters))

    def line(self, row: Sequence[Any]) -> str:
        record = dict(zip(self.columns, row, strict=True))
        for position, convert in self.converters:
            value = row[position]
            if value is not None:
                record[self.columns[position]] = convert(value)
        try:
            return _encode(record)
        except ValueError:
            # NaN or an infinity, which pydantic writes differently depending on the field
            # (null in `changes`, Infinity in a float column): the model itself decides.
            model = self.shape.model_validate(dict(zip(self.columns, row, strict=True)))
            return json.dumps(model.model_dump(mode="json"), sort_keys=True)
