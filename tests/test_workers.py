"""The worker pool (`wasmmerge/workers.py`), and errors crossing its process boundary pickled
whole: every error class comes back as itself with every field, the first error in order."""

import multiprocessing
import os
import pickle

import pytest

from wasmmerge.binary.model import Code
from wasmmerge.errors import DecodeError, ValidationError, WasmError
from wasmmerge.runtime.engine import WasmException
from wasmmerge.workers import chunks, fill_shared, map_chunks, worker_count


def _with_subclasses(cls) -> list:
    return [cls] + [sub for direct in cls.__subclasses__() for sub in _with_subclasses(direct)]


ERROR_CLASSES = _with_subclasses(WasmError)


def _example(cls) -> WasmError:
    if cls is WasmException:  # its constructor takes the uncaught wasm exception
        err = WasmException(("tag", (1, 2)))
        err.offset = 0x1234
        return err
    if issubclass(cls, ValidationError):
        return cls("something is wrong", 0x1234, "in.wasm", func=7)
    return cls("something is wrong", 0x1234, "in.wasm")


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_every_error_class_pickles_with_all_its_fields(cls):
    assert {c.__name__ for c in ERROR_CLASSES} >= {"DecodeError", "ValidationError", "LinkError",
                                                    "Unsupported", "Trap", "Exhaustion", "WasmException"}
    err = _example(cls)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls
    assert vars(back) == vars(err)
    assert str(back) == str(err) and back.args == err.args


def test_validation_error_keeps_its_function_in_the_text():
    back = pickle.loads(pickle.dumps(ValidationError("type mismatch", 16, func=3)))
    assert (back.message, back.offset, back.file, back.func) == ("type mismatch", 16, None, 3)
    assert str(back) == "type mismatch (at offset 0x10) [in function 3]"


def _codes(sizes):
    return [Code([], bytes(n)) for n in sizes]


def test_chunks_are_contiguous_and_cover_every_body():
    codes = _codes([5, 1, 1, 9, 2, 2, 2, 7, 1])
    for parts in range(1, 12):
        bounds = chunks(codes, parts)
        assert len(bounds) <= parts
        assert [b[0] for b in bounds[1:]] == [b[1] for b in bounds[:-1]]
        assert bounds[0][0] == 0 and bounds[-1][1] == len(codes)
    assert chunks([], 4) == []
    assert chunks([], 1) == []
    assert chunks(codes, 1) == [(0, len(codes))]  # (one range: no pass over the costs)


def test_worker_count():
    small = _codes([10] * 3)
    assert worker_count(small) == 1  # too little code to be worth a fork
    assert worker_count(small, jobs=3) == 3 and worker_count(small, jobs=0) == 1


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_map_chunks_gives_results_in_order_and_the_first_error(jobs):
    codes = _codes([3] * 40)

    def job(start, stop):
        return list(range(start, stop))

    assert [i for part in map_chunks(job, codes, jobs) for i in part] == list(range(40))

    def failing(start, stop):
        for i in range(start, stop):
            if i in (13, 31):
                raise ValidationError(f"bad body {i}", 100 + i, func=i)
        return stop - start

    with pytest.raises(ValidationError) as info:
        map_chunks(failing, codes, jobs)
    assert (info.value.message, info.value.offset, info.value.func) == ("bad body 13", 113, 13)


def test_a_worker_error_of_any_class_arrives_as_itself():
    codes = _codes([3] * 8)

    def job(start, stop):
        raise DecodeError(f"malformed at {start}", start, "x.wasm")

    with pytest.raises(DecodeError) as info:
        map_chunks(job, codes, 2)
    assert type(info.value) is DecodeError and vars(info.value) == {
        "message": "malformed at 0", "offset": 0, "file": "x.wasm"}


def test_a_bug_in_a_worker_arrives_as_its_exception_in_chunk_order():
    codes = _codes([3] * 40)

    def job(start, stop):
        if start > 0:
            raise KeyError(f"bug at {start}")
        return stop - start

    with pytest.raises(KeyError) as info:
        map_chunks(job, codes, 3)
    bounds = chunks(codes, 6)
    assert info.value.args == (f"bug at {bounds[1][0]}",)


def test_the_calling_process_takes_chunks_too():
    codes = _codes([3] * 40)
    parent = os.getpid()
    # Each side's first chunk waits for the other to have started one, so both take part
    # however slowly the worker starts (else the parent may take every chunk first).
    context = multiprocessing.get_context("fork")
    parent_worked, worker_started = context.Event(), context.Event()

    def job(start, stop):
        if os.getpid() == parent:
            parent_worked.set()
            assert worker_started.wait(60)
        else:
            worker_started.set()
            assert parent_worked.wait(60)
        return os.getpid()

    pids = map_chunks(job, codes, 2)
    assert len(pids) == 4 and parent in pids and len(set(pids)) == 2


def test_fill_shared_runs_each_range_once_and_redoes_a_failed_child():
    def fill(buffer, start, stop):
        if start == 4 and os.getpid() != parent:
            os._exit(3)  # this child dies: its range is redone by the caller
        buffer[start:stop] = bytes(range(start, stop))

    parent = os.getpid()
    out = fill_shared(8, [(0, 2), (2, 4), (4, 8)], fill)
    assert bytes(out) == bytes(range(8))


def test_fill_shared_runs_meanwhile_while_children_work_and_raises_range_errors_first():
    seen = []

    def fill(buffer, start, stop):
        if start == 2:
            raise ValueError("range 2")
        buffer[start:stop] = b"x" * (stop - start)

    def meanwhile():
        seen.append("meanwhile")
        raise KeyError("meanwhile")

    with pytest.raises(ValueError, match="range 2"):  # the child's range, redone here, fails first
        fill_shared(4, [(0, 2), (2, 4)], fill, meanwhile)
    assert seen == ["meanwhile"]
