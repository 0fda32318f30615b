"""A large file is parsed in a child process (assessments/importing/parse_process.py).

The child runs the very parsing function the thread runs; what matters is that nothing
differs for the user: the same rows stored, the same rejected rows and messages in the
same error file, a file refused half-way refused the same way, and no child left behind.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import translation

from assessments.choices import ImportStatus
from assessments.importing import import_file, parse_process, service
from assessments.models import Period, RepairOrder

from .import_helpers import ro_rows, write

pytestmark = pytest.mark.skipif(not parse_process.can_fork(), reason="fork is POSIX")

ALWAYS, NEVER = 0, -1


@pytest.fixture
def forks(monkeypatch):
    """The pids of the parsing processes started, each checked gone once the import ends."""
    started: list[int] = []
    real_init = parse_process.ForkedParser.__init__

    def counting(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        started.append(self.pid)

    monkeypatch.setattr(parse_process.ForkedParser, "__init__", counting)
    yield started
    for pid in started:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped: not a zombie, not running


def _stored():
    fields = [f.attname for f in RepairOrder._meta.concrete_fields if f.attname not in {"id", "imported_at"}]
    return sorted(RepairOrder.objects.values_list(*fields))


def _new_rows(count):
    """`count` repair orders with keys and vehicles of their own."""
    return [{"ro_number": f"RO{i:05d}", "vin": f"LB3E8MAL8RV{i:06d}"} for i in range(count)]


def _mixed_file(tmp_path, name="mixed.csv"):
    rows = _new_rows(40)
    rows[5]["opened_at"] = "2026-02-30 09:00:00"  # no such day
    rows[9]["vin"] = "SHORT"
    rows[17]["ro_number"] = "RO00003"  # the same key twice
    rows[23]["labor_amount"] = "-5"
    rows[31]["dealer_code"] = "GL9999"  # unknown dealer
    return write(tmp_path, ro_rows(*rows), name=name)


def _run_both(tmp_path, monkeypatch, **options):
    """Import the mixed file in a thread, then (after deleting what it wrote) in a process."""
    monkeypatch.setattr(service, "CHUNK_ROWS", 7)  # several chunks, some with rejected rows
    results = []
    for least in (NEVER, ALWAYS):
        RepairOrder.objects.all().delete()
        with override_settings(IMPORT_PARSE_PROCESS_MIN_BYTES=least):
            job = import_file("repair_orders", _mixed_file(tmp_path), **options)
        error_file = job.error_file.read().decode("utf-8-sig") if job.error_file else ""
        results.append(
            (
                job.status,
                job.message,
                (job.rows_total, job.created, job.updated, job.unchanged, job.rejected),
                job.errors,
                error_file,
                _stored(),
            )
        )
    return results


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_partial_import_parsed_in_a_process_stores_and_rejects_exactly_what_the_thread_does(
    tmp_path, dealer, hq_manager, monkeypatch, forks, language
):

    # given a file with valid rows and five kinds of bad row, imported partially in each language
    with translation.override(language):
        thread, process = _run_both(tmp_path, monkeypatch, user=hq_manager, partial=True)
    # then a process parsed it the second time, and nothing the user sees differs
    assert len(forks) == 1
    assert thread == process
    status, _, counts, errors, error_file, stored = process
    assert status == ImportStatus.PARTIAL and counts == (40, 35, 0, 0, 5)
    assert len(stored) == 35 and len(errors) == 5
    # the messages are in the user's language, as the thread gives them
    assert ("不存在" in error_file) == (language == "zh-hans")


@pytest.mark.django_db
def test_an_atomic_import_parsed_in_a_process_is_refused_whole_as_the_thread_refuses_it(
    tmp_path, dealer, hq_manager, monkeypatch, forks
):

    thread, process = _run_both(tmp_path, monkeypatch, user=hq_manager)
    assert len(forks) == 1
    assert thread == process
    assert process[0] == ImportStatus.REJECTED and process[5] == []


@pytest.mark.django_db
def test_a_clean_file_parsed_in_a_process_is_written_as_the_thread_writes_it(
    tmp_path, dealer, hq_manager, monkeypatch, forks
):

    rows = _new_rows(30)
    path = write(tmp_path, ro_rows(*rows))
    monkeypatch.setattr(service, "CHUNK_ROWS", 7)
    asked: list[list[str]] = []
    monkeypatch.setattr(service, "_queue_recompute", asked.append)
    stored = []
    for least in (NEVER, ALWAYS):
        RepairOrder.objects.all().delete()
        with override_settings(IMPORT_PARSE_PROCESS_MIN_BYTES=least):
            job = import_file("repair_orders", path, user=hq_manager)
        assert job.status == ImportStatus.SUCCEEDED and job.created == 30
        stored.append(_stored())
    assert stored[0] == stored[1] and len(stored[1]) == 30
    # the months the rows touch came back from the child: the same recompute was asked for
    assert len(asked) == 2 and asked[0] == asked[1] and "2026-10" in asked[1]
    assert len(forks) == 1


@pytest.mark.django_db
def test_a_file_refused_half_way_in_the_process_is_refused_with_the_readers_message(
    tmp_path, dealer, hq_manager, monkeypatch, forks
):

    # given more rows than an import may hold: the parser refuses the file when it gets there
    rows = _new_rows(12)
    monkeypatch.setattr(service, "CHUNK_ROWS", 4)
    with override_settings(IMPORT_PARSE_PROCESS_MIN_BYTES=ALWAYS, IMPORT_MAX_ROWS=10):
        with translation.override("zh-hans"):
            job = import_file("repair_orders", write(tmp_path, ro_rows(*rows)), user=hq_manager)
    # then the whole file is refused with the reader's message, in Chinese, and nothing is written
    assert job.status == ImportStatus.REJECTED
    assert "10" in job.message and "行" in job.message
    assert RepairOrder.objects.count() == 0
    assert len(forks) == 1


@pytest.mark.django_db
def test_an_import_that_fails_while_the_process_still_parses_stops_it(
    tmp_path, dealer, hq_manager, monkeypatch, forks
):

    # given a failure in the writing process at the first chunk of a long file
    rows = _new_rows(200)
    monkeypatch.setattr(service, "CHUNK_ROWS", 2)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "_recheck", broken)
    with override_settings(IMPORT_PARSE_PROCESS_MIN_BYTES=ALWAYS), pytest.raises(RuntimeError):
        import_file("repair_orders", write(tmp_path, ro_rows(*rows)), user=hq_manager)
    # then the child was stopped and reaped (checked by the fixture)
    assert len(forks) == 1


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the check pass and its replay are SQLite's")
def test_the_writing_pass_reads_a_staged_chunk_again_only_when_a_month_closed_since_its_check(
    tmp_path, dealer, hq_manager, monkeypatch
):
    from assessments.services.recompute import period_close

    Period.objects.get_or_create(code="2026-10")
    Period.objects.get_or_create(code="2026-11")
    monkeypatch.setattr(service, "CHUNK_ROWS", 3)
    real_recheck = service._recheck
    rechecked: list[int] = []

    def counting(spec, chunk, *args):
        rechecked.append(len(chunk.records))
        return real_recheck(spec, chunk, *args)

    monkeypatch.setattr(service, "_recheck", counting)
    october = [{"ro_number": f"A{i}", "vin": f"LB3E8MAL8RV{i:06d}"} for i in range(6)]
    november = [
        {
            "ro_number": f"B{i}",
            "vin": f"LB3E8MAL8RV{i:06d}",
            "booked_at": "",
            "opened_at": "2026-11-10 09:00:00",
            "promised_at": "",
            "closed_at": "2026-11-11 09:00:00",
        }
        for i in range(3)
    ]

    # when nothing closes between the passes, the writing pass checks nothing again
    job = import_file("repair_orders", write(tmp_path, ro_rows(*october)), user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED and job.created == 6
    assert rechecked == [3, 3]  # the check pass only

    # when October closes after the check pass, its chunks are read back and checked again:
    # the October rows are refused, November's are written
    rechecked.clear()
    replay = service._ChunkSpool.chunks

    def closing_first(self):
        period_close("2026-10")
        yield from replay(self)

    monkeypatch.setattr(service._ChunkSpool, "chunks", closing_first)
    rows = [{**row, "ro_number": f"C{i}"} for i, row in enumerate(october[:3])] + november
    job = import_file("repair_orders", write(tmp_path, ro_rows(*rows), name="b.csv"), user=hq_manager)
    assert rechecked == [3, 3, 3, 3]  # both chunks, in both passes
    assert job.status == ImportStatus.PARTIAL and job.rejected == 3
    assert not RepairOrder.objects.filter(ro_number__startswith="C").exists()
    assert RepairOrder.objects.filter(ro_number__startswith="B").count() == 3


@pytest.mark.django_db
def test_rows_a_closed_month_refuses_after_parsing_go_to_the_error_file_as_the_thread_gives_them(
    tmp_path, dealer, hq_manager, monkeypatch, forks
):
    """The late checks (a closed month) reject rows of chunks the process parsed: their cells,
    kept packed until then, reach the error file as they were, and the rows kept are written
    from text made in the process, awkward characters and all."""
    from assessments.services.recompute import period_close

    Period.objects.get_or_create(code="2026-09")
    period_close("2026-09")
    monkeypatch.setattr(service, "CHUNK_ROWS", 4)
    rows = _new_rows(12)
    for i in (2, 5, 6):  # delivered in the closed month: refused after parsing; rows 8-11 pass
        rows[i].update(
            booked_at="", opened_at="2026-09-20 09:00:00", promised_at="", closed_at="2026-09-21 10:00:00"
        )
    rows[0]["fault_code"] = "F\\t1"  # a backslash, then letters COPY would read as a tab
    rows[9]["fault_code"] = "F\\n 2\\"  # and one at the end
    rows[10]["fault_code"] = "F\tZ"  # a real tab, quoted in the CSV
    rows[8]["ro_number"] = "RO-甲-8"
    results = []
    for least in (NEVER, ALWAYS):
        RepairOrder.objects.all().delete()
        with override_settings(IMPORT_PARSE_PROCESS_MIN_BYTES=least):
            job = import_file("repair_orders", write(tmp_path, ro_rows(*rows)), user=hq_manager, partial=True)
        error_file = job.error_file.read().decode("utf-8-sig")
        results.append((job.status, (job.created, job.rejected), job.errors, error_file, _stored()))
    assert len(forks) == 1
    assert results[0] == results[1]
    status, counts, errors, error_file, stored = results[1]
    assert status == ImportStatus.PARTIAL and counts == (9, 3)
    assert [e["row"] for e in errors] == [4, 7, 8]
    # each refused row is in the error file with its own cells
    for i in (2, 5, 6):
        assert f"{rows[i]['ro_number']},GL0001,{rows[i]['vin']}" in error_file
    faults = dict(RepairOrder.objects.values_list("ro_number", "fault_code"))
    assert faults["RO00000"] == "F\\t1" and faults["RO00009"] == "F\\n 2\\"
    assert faults["RO00010"] == "F\tZ" and "RO-甲-8" in faults


@pytest.mark.django_db
@pytest.mark.parametrize("which", range(5))
def test_the_fork_waits_while_another_thread_is_inside_a_lock_the_childs_translations_need(
    tmp_path, dealer, hq_manager, monkeypatch, forks, which
):
    """A web worker's other thread switching its language at the instant of the fork would
    leave the child's copy of that lock held for ever, and the import waiting on the child
    (reproduced: beside two threads switching language, the 9th forked import hung). The fork must happen only once no other thread holds
    one of the locks Django's shared state hides behind."""
    lock = vars(parse_process.shared_locals()[which])["_lock"]
    holding, released = threading.Event(), threading.Event()

    def hold():
        with lock:
            holding.set()
            time.sleep(1.0)  # far longer than the importer takes from its pipe to its fork
            released.set()

    holder = threading.Thread(target=hold)
    real_pipe, real_fork = os.pipe, os.fork
    forked_while_held: list[bool] = []

    def pipe():  # the other thread takes the lock after the importer's last use of it
        holder.start()
        holding.wait(5)
        return real_pipe()

    def fork():
        forked_while_held.append(not released.is_set())
        if forked_while_held[-1]:
            raise OSError("forked while another thread held the lock")  # the child would hang
        return real_fork()

    monkeypatch.setattr(parse_process.os, "pipe", pipe)
    monkeypatch.setattr(parse_process.os, "fork", fork)
    try:
        with override_settings(IMPORT_PARSE_PROCESS_MIN_BYTES=ALWAYS), translation.override("zh-hans"):
            job = import_file("repair_orders", write(tmp_path, ro_rows(*_new_rows(5))), user=hq_manager)
    finally:
        if holder.is_alive():
            holder.join()
    assert forked_while_held == [False]
    assert job.status == ImportStatus.SUCCEEDED and job.created == 5
    assert len(forks) == 1


def test_the_fork_holds_every_lock_django_shares_between_threads():
    """Each of Django's module-level `Local`s with a shared lock (and the connection handlers'
    own) is in `shared_locals`: a Django release that adds one fails here, not in production."""
    from asgiref.local import Local
    from django.utils.connection import BaseConnectionHandler

    held = {id(local) for local in parse_process.shared_locals()}
    found = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("django.") or module is None:
            continue
        for attribute, value in list(vars(module).items()):
            if isinstance(value, BaseConnectionHandler):
                value = value._connections
            if isinstance(value, Local) and "_lock" in vars(value):
                found[id(value)] = f"{name}.{attribute}"
    assert len(found) >= 4  # the language, the time zone, the URL prefix and configuration
    assert {where for key, where in found.items() if key not in held} == set()
    assert all("_lock" in vars(local) for local in parse_process.shared_locals())


def _fake_parse(table):
    """Stands in for the parser: two chunks (or an error), then the end with its months."""

    def parse(months, out, stop):
        if table == "refuse":
            out.put(ValueError("row 3: not a date"))
            return
        for number in (1, 2):
            out.put(service.Chunk(records=[(number, "RO")], numbers=[number + 1], cells=[["x"]], rows=1))
        months.add("2026-10")
        out.put(service._DONE)

    return parse


def _in_a_thread(table):
    """What a background import thread of a web process does: fork from a thread not the main."""

    found: dict = {}

    def run():
        months: set[str] = set()
        forked = parse_process.ForkedParser(
            _fake_parse(table),
            done=service._DONE,
            months=months,
            make_chunk=service.Chunk,
        )
        found["pid"] = forked.pid
        try:
            found["records"] = [chunk.records for chunk in forked.chunks()]
        except Exception as exc:
            found["error"] = exc
        finally:
            forked.close()
        found["months"] = months

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    with pytest.raises(ChildProcessError):
        os.waitpid(found["pid"], os.WNOHANG)
    return found


def test_a_parsing_process_forked_from_a_background_thread_hands_over_its_chunks_and_months():
    found = _in_a_thread("file")
    assert found["records"] == [[(1, "RO")], [(2, "RO")]]
    assert found["months"] == {"2026-10"}


def test_an_error_in_the_parsing_process_is_raised_in_the_importer():
    found = _in_a_thread("refuse")
    assert isinstance(found["error"], ValueError) and "row 3" in str(found["error"])
