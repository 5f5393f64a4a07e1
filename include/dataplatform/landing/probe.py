"""Where a landing file lives and what is there now: S3 (official S3Hook) or local disk.

Paths are kept exactly as the user wrote them; they are the names used in every message.

Locations are parsed by :func:`dataplatform.uri.parse_location`.

- ``s3://bucket/key``: probed with ``S3Hook.head_object`` (sync) or ``S3Hook.get_head_object_async``
  on an aiobotocore client from ``S3Hook.get_async_conn()`` (async, as ``S3KeyTrigger`` does).
- ``/absolute/path`` or ``file:///absolute/path``: probed with ``os.stat``.

The S3 hook is imported lazily: importing this module costs nothing at DAG parse time.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import stat as stat_mod
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any

from dataplatform.landing.rules import FileStat
from dataplatform.uri import Location, parse_location


def normalise_files(files: str | Iterable[Any]) -> list[str]:
    """The list of landing paths from what a (rendered) template gave: a list, or a string holding a
    JSON list, a Python list literal (a list rendered without native templating) or paths separated
    by commas, spaces or newlines. Blank entries are dropped, duplicates kept once, each path
    validated (ValueError names the bad one)."""
    if isinstance(files, str):
        text = files.strip()
        items: Iterable[Any]
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError:
                try:
                    items = ast.literal_eval(text)
                except (ValueError, SyntaxError) as err:
                    raise ValueError(f"files is not a readable list: {text!r}") from err
        else:
            items = text.replace(",", " ").split()
    else:
        items = files
    result: dict[str, None] = {}
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"every landing file must be a string path, got {item!r}")
        if item.strip():
            result.setdefault(item.strip(), None)
    paths = list(result)
    if not paths:
        raise ValueError("no landing files given")
    for path in paths:
        parse_location(path)
    return paths


def _stat_local(loc: Location) -> FileStat:
    try:
        st = os.stat(loc.path)
    except (FileNotFoundError, NotADirectoryError):
        return FileStat(loc.raw, exists=False)
    if not stat_mod.S_ISREG(st.st_mode):
        return FileStat(loc.raw, exists=False)
    return FileStat(loc.raw, exists=True, size=st.st_size)


def _from_head(loc: Location, head: dict[str, Any] | None) -> FileStat:
    if head is None:
        return FileStat(loc.raw, exists=False)
    return FileStat(loc.raw, exists=True, size=int(head.get("ContentLength") or 0))


def make_s3_hook(aws_conn_id: str | None) -> Any:
    """The official ``S3Hook`` for ``aws_conn_id`` (imported only when an S3 path is probed)."""
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    return S3Hook(aws_conn_id=aws_conn_id)


def probe_paths(
    paths: Sequence[str], *, aws_conn_id: str | None = "aws_default", s3_hook: Any = None
) -> dict[str, FileStat]:
    """Look at every path once (synchronously); return ``{path: FileStat}``.

    ``s3_hook``: an ``S3Hook`` to reuse between pokes (one is made from ``aws_conn_id`` if needed).
    """
    locations = [parse_location(p) for p in paths]
    if s3_hook is None and any(loc.scheme == "s3" for loc in locations):
        s3_hook = make_s3_hook(aws_conn_id)
    result: dict[str, FileStat] = {}
    for loc in locations:
        if loc.scheme == "file":
            result[loc.raw] = _stat_local(loc)
        else:
            result[loc.raw] = _from_head(loc, s3_hook.head_object(key=loc.key, bucket_name=loc.bucket))
    return result


class AsyncProber:
    """Probe paths from a trigger: one aiobotocore client for the life of the ``async with`` block.

    ``async with AsyncProber("aws_default") as prober: stats = await prober.probe(paths)``
    """

    def __init__(self, aws_conn_id: str | None = "aws_default") -> None:
        self.aws_conn_id = aws_conn_id
        self._hook: Any = None
        self._client_cm: Any = None
        self._client: Any = None

    async def __aenter__(self) -> AsyncProber:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._client_cm is not None:
            cm, self._client_cm, self._client = self._client_cm, None, None
            await cm.__aexit__(exc_type, exc, tb)

    async def _s3(self) -> tuple[Any, Any]:
        if self._client is None:
            self._hook = make_s3_hook(self.aws_conn_id)
            self._client_cm = await self._hook.get_async_conn()
            self._client = await self._client_cm.__aenter__()
        return self._hook, self._client

    async def probe(self, paths: Sequence[str]) -> dict[str, FileStat]:
        """Look at every path once, S3 heads concurrently; return ``{path: FileStat}``."""
        locations = [parse_location(p) for p in paths]
        local = [loc for loc in locations if loc.scheme == "file"]
        remote = [loc for loc in locations if loc.scheme == "s3"]
        result: dict[str, FileStat] = {}
        if local:
            stats = await asyncio.to_thread(lambda: [_stat_local(loc) for loc in local])
            result.update((s.path, s) for s in stats)
        if remote:
            hook, client = await self._s3()
            heads = await asyncio.gather(
                *(hook.get_head_object_async(client, key=loc.key, bucket_name=loc.bucket) for loc in remote)
            )
            result.update((loc.raw, _from_head(loc, head)) for loc, head in zip(remote, heads, strict=True))
        return {p: result[p] for p in paths}
