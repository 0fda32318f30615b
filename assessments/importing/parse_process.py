"""Parsing a large file in a child process, so validation does not share the GIL.

The import's parsing thread turns rows into typed records: pure Python, about 10 µs a row.
In a thread of the importing process it holds the interpreter's lock while it works, so
the thread that stages and writes (binding parameters, marshalling) waits for it and the
two add up instead of overlapping. For a large file (`IMPORT_PARSE_PROCESS_MIN_BYTES`) the
same parsing function runs in a forked child instead, on the second core, and hands its
chunks over a pipe:

- a chunk: its row count, its records with their row numbers and cells (marshal, the blob
  the check pass keeps as it came, so it is serialised once; the cells inside it as a blob
  of their own, unpacked only if a late check rejects a row: `Cells`), its rejected rows
  (pickle: messages are text already, in the user's language), and its records as COPY
  text when the writer takes them so (PostgreSQL), made here rather than in the importer;
- the end, with the months the rows touch;
- an error (pickled; a file the reader refuses half-way raises in the importer as before).

What the child may touch: the open file (the parent no longer reads it), the validator and
the translations, nothing else. It never uses a database connection, logs nothing, and
leaves by `os._exit`, so no handler of the parent (atexit, connection close) runs in it.
The translations reach the active language through a lock every thread shares (Django's
`Local`s): the fork happens with those locks held by the forking thread (`_quiet_locals`),
never half-way through another thread's use of them, which would leave them locked for
good in the child. Where `fork` does not exist, or the file is small (a fork is a few
milliseconds), the thread stays.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

_CHUNK, _DONE, _ERROR = 1, 2, 3


class Cells:
    """A chunk's raw cells, kept marshalled and unpacked only when a late check rejects one
    of its rows (the row goes to the error file as it was): most chunks never need them, and
    they are half of what the importer would unpack per row."""

    __slots__ = ("_rows", "blob")

    def __init__(self, blob: bytes) -> None:
        self.blob = blob
        self._rows: list[list[str]] | None = None

    def __getitem__(self, index: int) -> list[str]:
        if self._rows is None:
            self._rows = marshal.loads(self.blob)
        return self._rows[index]


def cells_blob(cells: Cells | list[list[str]] | None) -> bytes:
    """Cells as the blob a chunk carries them in (`Cells`)."""
    return cells.blob if isinstance(cells, Cells) else marshal.dumps(cells)


def shared_locals() -> list[Any]:
    """Django's state per thread or request that every thread reaches through one lock
    (asgiref's `Local` without `thread_critical`): the active language and time zone, the
    URL prefix and configuration, the caches. Read at each fork: the test settings signals
    replace some of them."""
    from django.core.cache import caches
    from django.urls import base as urls
    from django.utils import timezone
    from django.utils.translation import trans_real

    return [trans_real._active, timezone._active, urls._prefixes, urls._urlconfs, caches._connections]


@contextlib.contextmanager
def _quiet_locals() -> Iterator[None]:
    """Hold the locks of `shared_locals` across a fork (as CPython holds its import and
    logging locks). Another thread of a web or Celery worker may be inside one of them at
    that instant, switching its language for a page, say: the child has no such thread to
    release it and would wait on it for ever, and the import with it. Held here, the fork
    falls between two uses; each side then releases its copy (the child's thread is the
    forking thread, so it owns them). Each lock guards a few dictionary operations and never
    another lock, so waiting for them is short and cannot deadlock."""
    locks = [vars(local)["_lock"] for local in shared_locals() if "_lock" in vars(local)]
    for lock in locks:
        lock.acquire()
    try:
        yield
    finally:
        for lock in reversed(locks):
            lock.release()


def can_fork() -> bool:
    return hasattr(os, "fork")


class _PipeOut:
    """The child's side: what `parse` puts goes down the pipe."""

    def __init__(self, fd: int, done: object, months: set[str]) -> None:
        self.file = os.fdopen(fd, "wb", buffering=1 << 20)
        self.done = done
        self.months = months

    def _send(self, tag: int, *blobs: bytes) -> None:
        self.file.write(bytes([tag]) + len(blobs).to_bytes(1, "little"))
        for blob in blobs:
            self.file.write(len(blob).to_bytes(8, "little"))
            self.file.write(blob)

    def put(self, item: Any, timeout: float | None = None) -> None:
        if item is self.done:
            self._send(_DONE, marshal.dumps(sorted(self.months)))
        elif isinstance(item, BaseException):
            try:
                blob = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.loads(blob)  # noqa: S301 - our own bytes; an exception that cannot come back
            except Exception:
                blob = pickle.dumps(RuntimeError(f"{type(item).__name__}: {item}"))
            self._send(_ERROR, blob)
        else:
            self._send(
                _CHUNK,
                marshal.dumps(item.rows),
                marshal.dumps((item.records, item.numbers, cells_blob(item.cells))),
                pickle.dumps(item.rejected, protocol=pickle.HIGHEST_PROTOCOL),
                item.payload or b"",
            )
        self.file.flush()


class ForkedParser:
    """The parent's side: start the child, read its chunks, reap it."""

    def __init__(
        self,
        parse: Callable[[set[str], Any, threading.Event], None],
        *,
        done: object,
        months: set[str],
        make_chunk: Callable[..., Any],
    ) -> None:
        """`parse(months, out, stop)` runs in the child: it puts chunks, then `done` or an
        exception, into `out`, and adds the months the rows touch to `months`."""
        self.months = months
        self.make_chunk = make_chunk
        read_fd, write_fd = os.pipe()
        with _quiet_locals():
            pid = os.fork()
        if pid == 0:  # the child
            code = 1
            try:
                os.close(read_fd)
                # What the child inherited (Django, the importer's objects) is never garbage
                # here: the collector need not walk it at each of its passes (and so does not
                # copy the parent's pages by touching them). 7 % of the parsing.
                gc.freeze()
                # The parent's handlers (a web or Celery worker's) are not this process's.
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                out = _PipeOut(write_fd, done, set())
                parse(out.months, out, threading.Event())
                out.file.flush()
                code = 0
            finally:
                os._exit(code)
        os.close(write_fd)
        self.pid: int | None = pid
        self.pipe = os.fdopen(read_fd, "rb", buffering=1 << 20)

    def _read(self) -> tuple[int, list[bytes]]:
        head = self.pipe.read(2)
        if len(head) < 2:
            raise RuntimeError("the parsing process ended before the end of the file")
        blobs = []
        for _ in range(head[1]):
            size = int.from_bytes(self.pipe.read(8), "little")
            blobs.append(self.pipe.read(size))
        return head[0], blobs

    def chunks(self) -> Iterator[Any]:
        """The chunks in file order; raises what the child raised."""
        while True:
            tag, blobs = self._read()
            if tag == _DONE:
                self.months.update(marshal.loads(blobs[0]))
                return
            if tag == _ERROR:
                raise pickle.loads(blobs[0])  # noqa: S301 - from our own child
            rows_blob, body, rejected, payload = blobs
            records, numbers, cells = marshal.loads(body)
            chunk = self.make_chunk(
                records=records,
                numbers=numbers,
                cells=Cells(cells),
                rejected=pickle.loads(rejected),  # noqa: S301 - from our own child
                rows=marshal.loads(rows_blob),
                payload=payload or None,
            )
            chunk.body = body
            yield chunk

    def close(self) -> None:
        """Stop the child if it still runs (the import ended early) and reap it."""
        self.pipe.close()
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.pid = None
