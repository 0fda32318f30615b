"""The one import service behind the command, the upload page and the API.

`import_file` reads a file once. A parsing thread validates rows into typed records
(pure Python, no database) and hands them over in chunks; this thread checks what needs
the database, writes each chunk, and spools rejected rows (formula-like cells neutralised),
so the database works while Python parses and memory stays flat. On PostgreSQL everything
is written in one transaction:

- atomic (default): any rejected row rolls the whole file back;
- partial: valid rows are kept, rejected ones go whole to the error file;
- dry run: rows are written and counted, then rolled back — a faithful preview.

SQLite has one writer at a time, so there no import holds the write lock for long (a
sign-in would wait on it): a dry run writes nothing and counts by key look-ups, outside
any transaction; an import writes each chunk in a transaction of its own, and an atomic
one first checks the whole file that way (reading it twice) and writes only a clean file.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import logging
import marshal
import os
import pickle
import queue
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone, translation

from assessments.choices import ImportKind, ImportStatus, PeriodStatus
from assessments.exporting import safe_row
from assessments.models import ImportJob, Period
from assessments.services.queueing import queue_recompute
from dealers.choices import HQ_ROLES, Role
from dealers.models import Dealer

from . import messages as msg
from .kinds import BoundRow, Context, Kind, Record, get_kind
from .parse_process import Cells, ForkedParser, can_fork, cells_blob
from .reading import FileRejected, Table, check_size, open_table
from .writing import Actor, check_chunk, import_channel, writer_for

logger = logging.getLogger(__name__)

CHUNK_ROWS = 20_000
KEPT_ERRORS = 1_000  # row errors stored on the job; the error file holds them all
ProgressCallback = Callable[[int], None]


@dataclass
class Chunk:
    """What the parsing thread hands over: valid records and rejected rows, in file order."""

    records: list[Record] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # row number of each record
    cells: list[list[str]] | Cells | None = None  # raw cells of each record, for late rejections
    rejected: list[tuple[int, list[str], list[tuple[str, str]]]] = field(default_factory=list)
    rows: int = 0  # data rows read (blank lines excluded)
    repair_orders: dict[tuple[int, str], int] = field(default_factory=dict)  # filled by the checks
    staged: tuple[int, int] | None = None  # the rowids of its rows staged by the check pass (SQLite)
    body: bytes | None = None  # records, numbers, cells as marshalled by a parsing process
    payload: bytes | None = None  # the records as COPY text (PostgreSQL), while they are unchanged
    closed: tuple[str, ...] = ()  # the closed months its checks saw (the check pass)


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rows: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    months: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)  # shown after the job's message, e.g. which sheet was read


class ImportConflict(Exception):
    """A concurrent import kept writing the same keys; nothing of this one was written."""


class _RollBack(Exception):
    """Raised inside the transaction to undo it (a rejected atomic import, a dry run)."""


_DONE = object()


def import_file(
    kind: str,
    source: str | Path | IO[bytes],
    *,
    user: Any = None,
    file_name: str | None = None,
    partial: bool = False,
    dry_run: bool = False,
    job: ImportJob | None = None,
    progress: ProgressCallback | None = None,
    through_api: bool = False,
) -> ImportJob:
    """Import one file of `kind` (an ImportKind value) and return its ImportJob record.

    `source` is a path or a binary file object. `user` None imports with HQ rights (the
    command line). The job is saved whatever happens; file problems and rejected rows are
    reported on it (status rejected / partial), never raised. Unexpected errors mark the
    job failed and are raised.
    """
    started = time.monotonic()
    job = _start_job(job, kind, user, file_name or _name_of(source), partial, dry_run, through_api)
    outcome = Outcome()
    spool = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in finally
        "w+", encoding="utf-8-sig", newline="", suffix=".csv", delete=False
    )
    try:
        with _local_path(source) as path:
            _describe_file(job, path)
            spec = get_kind(kind)
            _check_allowed(spec, user)
            errors_writer = csv.writer(spool)
            for attempt in range(2):
                try:
                    if not _one_writer() or dry_run:
                        # One transaction (rolled back for a dry run), or, for a dry run on SQLite, none.
                        mode = COUNT if dry_run and _one_writer() else ONE_TRANSACTION
                        _read_and_run(spec, path, user, job, outcome, errors_writer, progress, mode)
                    else:
                        # SQLite has one writer at a time: write chunk by chunk, each its own short
                        # transaction, so nobody (signing in) waits long. An all-or-nothing import
                        # first checks every row without writing, and writes only a clean file.
                        # The check pass keeps the chunks it parsed, for the writing pass to
                        # replay rather than parse the file again.
                        with _ChunkSpool() as parsed:
                            if not partial:
                                _read_and_run(
                                    spec, path, user, job, outcome, errors_writer, None, COUNT, spool=parsed
                                )
                            if partial or not (outcome.rejected or outcome.rows == 0):
                                # The check pass read the sheets and the months.
                                outcome = Outcome(notes=outcome.notes, months=outcome.months)
                                _read_and_run(
                                    spec,
                                    path,
                                    user,
                                    job,
                                    outcome,
                                    errors_writer,
                                    progress,
                                    CHUNKS,
                                    header=partial,
                                    replay=None if partial else parsed,
                                )
                                if (
                                    outcome.rejected and not partial
                                ):  # a row changed by someone else meanwhile
                                    job.status = ImportStatus.PARTIAL
                                    job.message = str(msg.IMPORT_SOME_ROWS_REJECTED) % {
                                        "count": outcome.rejected
                                    }
                    break
                except IntegrityError:
                    # Another import wrote the same keys between our look-up and our write; this
                    # one rolled back. Once more from a clean start (an upsert: rows already
                    # written are found unchanged); twice is a conflict.
                    if attempt:
                        raise ImportConflict from None
                    outcome = Outcome()
                    spool.seek(0)
                    spool.truncate()
        _finish(job, outcome, spool)
    except ImportConflict:
        job.status = ImportStatus.FAILED
        # Chunk by chunk (SQLite), the chunks before the conflict are written; one transaction, none.
        chunked = _one_writer() and not dry_run
        job.message = str(msg.IMPORT_CONFLICT_CHUNKS if chunked else msg.IMPORT_CONFLICT)
        _finish(job, Outcome(), None)
    except FileRejected as rejected:
        job.status = ImportStatus.REJECTED
        job.message = rejected.message
        _finish(job, outcome, None)
    except Exception:
        logger.exception("import %s failed", job.pk)
        job.status = ImportStatus.FAILED
        written = outcome.created + outcome.updated if _one_writer() and not dry_run else 0
        if written:  # SQLite: the chunks before the error are written
            job.message = str(msg.IMPORT_FAILED_AFTER_WRITING) % {"count": written}
        else:
            job.message = str(msg.IMPORT_FAILED)
        _finish(job, outcome, None)
        raise
    finally:
        spool.close()
        Path(spool.name).unlink(missing_ok=True)
        job.finished_at = timezone.now()
        job.duration_seconds = round(time.monotonic() - started, 3)
        job.save()
    if not dry_run:
        from assessments import events

        events.import_finished(actor=user if user is not None and user.pk else None, job=job)
    return job


def run_stored_job(job: ImportJob, *, report_progress: bool = False) -> ImportJob:
    """Run an ImportJob whose file is stored on it (an upload, a confirmed preview).

    A finished job is left as it is, so a redelivered task does no harm. A job whose
    uploader is gone is failed rather than run with HQ rights.
    """
    # Claimed once: a redelivered task finds the job running or finished and leaves it.
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now(), runner=runner_id()
    )
    if not claimed:
        job.refresh_from_db()
        return job
    job.status = ImportStatus.RUNNING
    if job.user is None or not job.upload:
        job.status = ImportStatus.FAILED
        job.message = str(msg.IMPORT_FAILED)
        job.finished_at = timezone.now()
        job.save()
        return job
    progress = _progress_reporter(job) if report_progress else None
    try:
        return import_file(
            job.kind,
            Path(job.upload.path),
            user=job.user,
            file_name=job.file_name,
            partial=job.partial,
            dry_run=job.dry_run,
            job=job,
            progress=progress,
        )
    finally:
        if progress is not None:
            progress.close()  # type: ignore[attr-defined]


class _progress_reporter:  # noqa: N801 - a callable, reads like a function
    """Writes rows_done on the job through a connection of its own, so the progress bar
    moves while the import's transaction is still open (PostgreSQL). SQLite allows one
    writer at a time, and there the import runs outside any long transaction: the bar moves
    by short writes between chunks, on the import's own connection.
    """

    def __init__(self, job: ImportJob) -> None:
        from django.db import DEFAULT_DB_ALIAS, connection, connections

        self.job_id = job.pk
        self.connection = (
            connections.create_connection(DEFAULT_DB_ALIAS) if connection.vendor == "postgresql" else None
        )
        self.last = 0.0

    def __call__(self, rows_done: int) -> None:
        from django.db import connection

        now = time.monotonic()
        if now - self.last < 1:
            return
        if self.connection is None:
            if not connection.in_atomic_block:  # a short write of its own, in autocommit
                self.last = now
                ImportJob.objects.filter(pk=self.job_id).update(
                    rows_done=rows_done, heartbeat_at=timezone.now()
                )
            return
        self.last = now
        table = ImportJob._meta.db_table
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET rows_done = %s, heartbeat_at = %s WHERE id = %s",
                [rows_done, timezone.now(), self.job_id],
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


# --- the job record ---------------------------------------------------------------------


def _start_job(
    job: ImportJob | None,
    kind: str,
    user: Any,
    file_name: str,
    partial: bool,
    dry_run: bool,
    through_api: bool,
) -> ImportJob:
    if job is None:
        job = ImportJob(
            kind=kind,
            user=user if user is not None and user.pk else None,
            dealer_id=user.dealer_id if user is not None and user.role == Role.DEALER_USER else None,
            file_name=file_name[:255],
        )
    job.partial, job.dry_run = partial, dry_run
    job.through_api = job.through_api or through_api
    job.status = ImportStatus.RUNNING
    job.heartbeat_at = timezone.now()
    job.runner = runner_id()
    job.message = ""
    job.save()
    return job


def _describe_file(job: ImportJob, path: Path) -> None:
    """Size and SHA-256 checksum, before anything else can go wrong."""
    digest = hashlib.sha256()
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    except OSError as exc:  # gone, unreadable, a directory: the file's fault, not a failure
        raise FileRejected(msg.FILE_MISSING, reason=exc.strerror or exc) from exc
    job.file_size, job.checksum = size, digest.hexdigest()
    ImportJob.objects.filter(pk=job.pk).update(file_size=job.file_size, checksum=job.checksum)
    check_size(size)


def _finish(job: ImportJob, outcome: Outcome, spool: Any) -> None:
    job.rows_total = job.rows_done = outcome.rows
    job.rejected = outcome.rejected
    job.errors = outcome.errors
    job.periods_touched = sorted(outcome.months)
    if job.status == ImportStatus.RUNNING:
        if outcome.rows == 0:
            job.status = ImportStatus.REJECTED
            job.message = str(msg.FILE_NO_ROWS)
        elif job.dry_run:
            job.status = ImportStatus.PREVIEWED
        elif outcome.rejected and not job.partial:
            job.status = ImportStatus.REJECTED
            job.message = str(msg.IMPORT_ROWS_REJECTED) % {"count": outcome.rejected}
        elif outcome.rejected:
            job.status = ImportStatus.PARTIAL
            job.message = str(msg.IMPORT_SOME_ROWS_REJECTED) % {"count": outcome.rejected}
        else:
            job.status = ImportStatus.SUCCEEDED
    if outcome.notes:
        job.message = " ".join([job.message, *outcome.notes]) if job.message else " ".join(outcome.notes)
    written = job.status in (ImportStatus.SUCCEEDED, ImportStatus.PARTIAL, ImportStatus.PREVIEWED)
    job.created, job.updated, job.unchanged = (
        (outcome.created, outcome.updated, outcome.unchanged) if written else (0, 0, 0)
    )
    if spool is not None and outcome.rejected:
        spool.flush()
        stem = Path(job.file_name).stem or "import"
        with open(spool.name, "rb") as handle:
            job.error_file.save(f"{stem}-rejected-{job.pk}.csv", File(handle), save=False)


# --- permissions and context -----------------------------------------------------------


def _check_allowed(spec: Kind, user: Any) -> None:
    if user is None:
        return
    # HQ imports any kind; a dealer user the service data of their own dealer. (A regional
    # manager reviews but does not upload: an import has no region to be scoped by.)
    if user.is_active and (
        user.role in HQ_ROLES
        or (spec.kind != ImportKind.DEALERS and user.role == Role.DEALER_USER and user.dealer_id)
    ):
        return
    raise FileRejected(msg.FILE_NOT_ALLOWED, kind=ImportKind(spec.kind).label)


def _context(user: Any) -> Context:
    dealers = Dealer.objects.all() if user is None else Dealer.objects.for_user(user)
    return Context(
        dealers=dict(dealers.values_list("code", "id")),
        sees_all=user is None or user.role in HQ_ROLES,
        closed_periods=_closed_periods(),
    )


def _closed_periods() -> frozenset[str]:
    return frozenset(Period.objects.filter(status=PeriodStatus.CLOSED).values_list("code", flat=True))


def _actor(user: Any, through_api: bool) -> Actor:
    """Who writes, and the channel stamped on what they write (docs/data-keys.md)."""
    dealer = user is not None and user.role == Role.DEALER_USER
    return Actor(
        user=user, approves=not dealer, channel=import_channel(user, through_api), dealer_only=dealer
    )


# --- the pipeline -----------------------------------------------------------------------

# How a pass writes: all rows in one transaction; each chunk in a transaction of its own;
# or nothing, counting what would be written, outside any transaction.
ONE_TRANSACTION, CHUNKS, COUNT = "one transaction", "chunks", "count"


def _one_writer() -> bool:
    """Whether the database lets one connection write at a time (SQLite): there a long
    transaction keeps every other writer, a sign-in too, waiting."""
    from django.db import connection

    return connection.vendor == "sqlite"


def _read_and_run(
    spec: Kind,
    path: Path,
    user: Any,
    job: ImportJob,
    outcome: Outcome,
    errors_writer: Any,
    progress: ProgressCallback | None,
    mode: str,
    *,
    header: bool = True,
    spool: _ChunkSpool | None = None,
    replay: _ChunkSpool | None = None,
) -> None:
    """One pass over the file; `header` starts the error file with its header row.

    `spool` keeps the chunks as parsed; `replay` takes them from a spool instead of the file.
    """
    if replay is not None:
        _run(spec, None, replay.bound, user, job, outcome, errors_writer, progress, mode, source=replay)
        return
    with open_table(path, job.file_name) as table:
        if header:
            outcome.notes.extend(table.notes)
        bound = spec.bind(table.header)
        if spool is not None:
            spool.bound = bound
        if header:
            # The dealer's cells go back to whoever opens the file: neutralised like every
            # export, which the error column's header says (the original stays as uploaded).
            errors_writer.writerow(safe_row([*table.header, f"error ({msg.ERROR_FILE_NOTE})"]))
        _run(spec, table, bound, user, job, outcome, errors_writer, progress, mode, spool=spool)


class _ChunkSpool:
    """The chunks of a pass as parsed (before the checks that need the database), written
    to a temporary file: the writing pass of an all-or-nothing import on SQLite replays them
    instead of parsing the file a second time. Memory stays flat.

    Each chunk is three length-prefixed blobs: a header (its row count, where the check pass
    staged it, the closed months its checks saw), its records with their row numbers and
    cells (marshal: several times faster than pickle for plain tuples, lists and strings;
    the very bytes a parsing process sent), and its rejected rows (pickle: their messages
    may be lazy translations). A chunk the check pass staged whole is moved by one statement
    and needs its records again only if a month has closed since it was checked: then its
    records are read back and checked again; otherwise they are skipped unread.
    """

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by __exit__
        self.bound: Any = None
        self.now: Any = None  # the check pass's time: every row of the import is stamped with it
        self.writer: Any = None  # the check pass's writer, which staged rows
        self.closed_now: Callable[[], frozenset[str]] = _closed_periods

    def __enter__(self) -> _ChunkSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()
        if self.writer is not None:
            with contextlib.suppress(DatabaseError):
                self.writer.stage_clear()

    def add(self, chunk: Chunk) -> None:
        body = chunk.body
        if body is None:
            body = marshal.dumps((chunk.records, chunk.numbers, cells_blob(chunk.cells)))
        for blob in (
            marshal.dumps((chunk.rows, chunk.staged, chunk.closed)),
            body,
            pickle.dumps(chunk.rejected, protocol=pickle.HIGHEST_PROTOCOL),
        ):
            self.file.write(len(blob).to_bytes(8, "little"))
            self.file.write(blob)

    def _size(self) -> int | None:
        size = self.file.read(8)
        return int.from_bytes(size, "little") if size else None

    def _blob(self) -> bytes:
        return self.file.read(self._size() or 0)

    def chunks(self) -> Iterator[Chunk]:
        self.file.seek(0)
        while (size := self._size()) is not None:
            rows, staged, closed = marshal.loads(self.file.read(size))
            if staged is not None and frozenset(closed) == self.closed_now():
                self.file.seek(self._size() or 0, os.SEEK_CUR)  # checked as it stands: not needed
                records, numbers, cells = [], [], Cells(marshal.dumps([]))
            else:
                records, numbers, blob = marshal.loads(self._blob())
                cells = Cells(blob)
            rejected = pickle.loads(self._blob())  # noqa: S301 - our own file, written just before
            yield Chunk(
                records=records, numbers=numbers, cells=cells, rejected=rejected, rows=rows, staged=staged
            )


def _run(
    spec: Kind,
    table: Table | None,
    bound: BoundRow,
    user: Any,
    job: ImportJob,
    outcome: Outcome,
    errors_writer: Any,
    progress: ProgressCallback | None,
    mode: str = ONE_TRANSACTION,
    *,
    spool: _ChunkSpool | None = None,
    source: _ChunkSpool | None = None,
) -> None:
    context = _context(user)
    actor = _actor(user, job.through_api)
    # Every chunk keeps its raw cells: a rule that needs the database (a repair order to refer
    # to, provenance, a month that closes while the import runs) may reject any row late.
    keep_cells = True
    closed_at_start = context.closed_periods  # their rows are checked one by one from the start
    chunks: queue.Queue[Any] = queue.Queue(maxsize=3)
    stop = threading.Event()
    forked: ForkedParser | None = None
    language = translation.get_language()

    def parse(months: set[str], out: Any, stopped: threading.Event) -> None:
        _parse(spec, table, bound, context, keep_cells, months, out, stopped, language, copy_text)

    parser = threading.Thread(
        target=parse, args=(outcome.months, chunks, stop), name=f"import-parse-{job.pk}", daemon=True
    )
    now = source.now if source is not None and source.now else timezone.now().replace(microsecond=0)
    writer = writer_for(spec, actor, now, counting=mode == COUNT, staging=spool is not None)
    # The COPY text of a chunk's records is made where they are parsed (PostgreSQL).
    copy_text = getattr(writer, "copy_text", None)
    if spool is not None:
        spool.now, spool.writer = now, writer
    write_all = job.partial or job.dry_run or mode != ONE_TRANSACTION
    # The parser starts last, right before the block whose `finally` stops it.
    if source is None and _parse_in_process(job):
        forked = ForkedParser(parse, done=_DONE, months=outcome.months, make_chunk=Chunk)
    elif source is None:
        parser.start()
    try:
        with _alive(job), transaction.atomic() if mode == ONE_TRANSACTION else contextlib.nullcontext():
            writer.begin()
            if source is not None:
                incoming = source.chunks()
            else:
                incoming = forked.chunks() if forked is not None else _drain(chunks)
            for chunk in incoming:
                if chunk.records:
                    # A month closed while this import ran is closed for its next rows too.
                    context.closed_periods = _closed_periods()
                    _recheck(spec, chunk, context, actor, bound)
                    chunk.closed = tuple(sorted(context.closed_periods))
                if chunk.rejected:
                    _reject(chunk, outcome, errors_writer)
                if (chunk.records or chunk.staged) and (write_all or not outcome.rejected):
                    with transaction.atomic() if mode == CHUNKS else contextlib.nullcontext():
                        if chunk.staged and not chunk.rejected and mode == CHUNKS:
                            # Staged by the check pass and still all valid: moved in one statement.
                            created, updated, unchanged = writer.write_staged(chunk.staged), 0, 0
                        else:
                            created, updated, unchanged = writer.write(
                                chunk.records, chunk.repair_orders, chunk.payload
                            )
                            chunk.staged = getattr(writer, "staged", None)
                    outcome.created += created
                    outcome.updated += updated
                    outcome.unchanged += unchanged
                if spool is not None:
                    # After the checks: a replay happens only when none of them rejected a row.
                    spool.add(chunk)
                outcome.rows += chunk.rows
                if progress is not None:
                    progress(outcome.rows)
            writer.end()
            if mode == COUNT:
                raise _RollBack  # nothing was written
            if mode == ONE_TRANSACTION and (
                job.dry_run or (outcome.rejected and not job.partial) or outcome.rows == 0
            ):
                raise _RollBack
            if mode == ONE_TRANSACTION and (outcome.created or outcome.updated):
                # A month this file writes into was closed while it ran (after its rows were
                # checked): its evidence must not change, so none of the file is written.
                closed_meanwhile = sorted((outcome.months & _closed_periods()) - closed_at_start)
                if closed_meanwhile:
                    raise FileRejected(msg.FILE_PERIOD_CLOSED_MEANWHILE, period=", ".join(closed_meanwhile))
            if outcome.created or outcome.updated:
                # In one transaction: the request commits with the rows or not at all. Chunk by
                # chunk (SQLite), after the last chunk: a crash before it leaves a half-written
                # import that says so, and importing the file again asks for the recompute.
                with transaction.atomic():
                    _queue_recompute(_periods_to_recompute(spec.kind, outcome.months))
    except _RollBack:
        pass
    finally:
        stop.set()
        if forked is not None:
            forked.close()
        elif source is None:
            parser.join(timeout=10)


def _parse_in_process(job: ImportJob) -> bool:
    """Whether this file is parsed in a child process (see parse_process.py): large enough
    for the fork to pay (`IMPORT_PARSE_PROCESS_MIN_BYTES`; 0 always, -1 never)."""
    least = settings.IMPORT_PARSE_PROCESS_MIN_BYTES
    return can_fork() and least >= 0 and (job.file_size or 0) >= least


def _drain(chunks: queue.Queue[Any]) -> Iterator[Any]:
    while True:
        item = chunks.get()
        if item is _DONE:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def _recheck(spec: Kind, chunk: Any, context: Context, actor: Actor, bound: BoundRow) -> None:
    """Apply the rules that need the database; move records they reject to `rejected`."""
    rejected, chunk.repair_orders = check_chunk(spec, chunk.records, context, actor)
    if not rejected:
        return
    chunk.body = chunk.payload = None  # the records change
    keep = [i for i in range(len(chunk.records)) if i not in rejected]
    for i, (column, message) in rejected.items():
        label = bound.labels[spec.index[column]] if column in spec.index else column
        chunk.rejected.append((chunk.numbers[i], chunk.cells[i], [(label, message)]))
    chunk.rejected.sort(key=lambda item: item[0])
    chunk.records = [chunk.records[i] for i in keep]
    chunk.numbers = [chunk.numbers[i] for i in keep]
    cells = chunk.cells
    if cells is not None:
        chunk.cells = [cells[i] for i in keep]


def _reject(chunk: Any, outcome: Outcome, errors_writer: Any) -> None:
    for number, cells, errors in chunk.rejected:
        outcome.rejected += 1
        for column, message in errors:
            if len(outcome.errors) < KEPT_ERRORS:
                outcome.errors.append({"row": number, "column": column, "message": message})
        text = "; ".join(f"{column}: {message}" if column else message for column, message in errors)
        errors_writer.writerow(safe_row([*cells, text]))


def _parse(
    spec: Kind,
    table: Table,
    bound: BoundRow,
    context: Context,
    keep_cells: bool,
    months: set[str],
    out: queue.Queue[Any],
    stop: threading.Event,
    language: str | None,
    copy_text: Callable[[list[Record]], bytes] | None = None,
) -> None:
    """The parsing thread: rows in, chunks of validated records out. No database here.

    `copy_text` (the COPY writer's) turns each chunk's records into the text it writes.
    """

    def put_chunk(chunk: Chunk) -> bool:
        if copy_text is not None and chunk.records:
            chunk.payload = copy_text(chunk.records)
        return put(chunk)

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    try:
        with translation.override(language):
            validate = spec.validator(bound, context, whole_rows=table.encoding != "xlsx")
            first_row: dict[str, int] = {}
            key_label = spec.key_label(bound)
            limit = settings.IMPORT_MAX_ROWS
            seen_months: set[str] = set()
            chunk = _new_chunk(keep_cells)
            total = 0
            for number, cells, formulas in table.rows:
                if not cells or not any(cells):
                    continue  # a blank line is not a row
                if len(cells) == 1 and not cells[0].strip():
                    continue
                total += 1
                if total > limit:
                    raise FileRejected(msg.FILE_TOO_MANY_ROWS, limit=f"{limit:,}")
                chunk.rows += 1
                result = validate(cells, formulas)
                if type(result) is list:
                    chunk.rejected.append((number, cells, result))
                else:
                    record, key, record_months = result
                    first = first_row.setdefault(key, number)
                    if first != number:
                        message = str(msg.ROW_DUPLICATE_KEY) % {"key": key_label, "first": first}
                        chunk.rejected.append((number, cells, [(key_label, message)]))
                    else:
                        chunk.records.append(record)
                        chunk.numbers.append(number)
                        if keep_cells:
                            chunk.cells.append(cells)
                        seen_months.update(record_months)
                if chunk.rows >= CHUNK_ROWS:
                    if not put_chunk(chunk):
                        return
                    chunk = _new_chunk(keep_cells)
            if chunk.rows and not put_chunk(chunk):
                return
            months.update(seen_months)
            put(_DONE)
    except BaseException as exc:  # handed to the writing thread, which raises it
        put(exc)


def _new_chunk(keep_cells: bool) -> Chunk:
    return Chunk(cells=[] if keep_cells else None)


# --- files ------------------------------------------------------------------------------


def _name_of(source: Any) -> str:
    if isinstance(source, str | Path):
        return Path(source).name
    return Path(getattr(source, "name", "") or "upload.csv").name


class _local_path:  # noqa: N801 - used as a context manager, reads like a function
    """A path on disk for the source: the path itself, or a temporary copy of a file object."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.temporary: Path | None = None

    def __enter__(self) -> Path:
        if isinstance(self.source, str | Path):
            return Path(self.source)
        if hasattr(self.source, "temporary_file_path"):
            return Path(self.source.temporary_file_path())
        handle = tempfile.NamedTemporaryFile(delete=False, suffix=".upload")  # noqa: SIM115
        with handle:
            if hasattr(self.source, "seek"):
                self.source.seek(0)
            if hasattr(self.source, "chunks"):
                for block in self.source.chunks():
                    handle.write(block)
            else:
                shutil.copyfileobj(self.source, handle, 1 << 20)
        self.temporary = Path(handle.name)
        return self.temporary

    def __exit__(self, *exc: object) -> None:
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)


# --- after the import -------------------------------------------------------------------


def _periods_to_recompute(kind: str, months: set[str]) -> list[str]:
    """The open months the import touched; a dealer import can move any open period's ranks."""
    open_periods = Period.objects.exclude(status=PeriodStatus.CLOSED)
    if kind == ImportKind.DEALERS:
        return sorted(open_periods.values_list("code", flat=True))
    closed = set(Period.objects.filter(status=PeriodStatus.CLOSED).values_list("code", flat=True))
    return sorted(period for period in months if period not in closed)


def _queue_recompute(periods: list[str]) -> None:
    if periods:
        queue_recompute(periods)


def runner_id() -> str:
    """This process, as the sweep finds it again: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def runner_gone(runner: str) -> bool:
    """Whether the process that ran a job is known to be dead (only decidable on this host)."""
    host, _sep, pid = runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _alive(job: ImportJob) -> Any:
    """While the import runs, its job shows a sign of life every few seconds (PostgreSQL:
    from a connection of its own; SQLite's one writer is the import itself)."""
    from contextlib import nullcontext

    if connection.vendor != "postgresql" or job.pk is None:
        return nullcontext()
    from config.heartbeat import heartbeat

    def beat() -> None:
        ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(heartbeat_at=timezone.now())

    return heartbeat(beat, 10.0, f"import-{job.pk}")
