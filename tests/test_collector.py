"""collector.paused: the cyclic collector off for a link or a merge, restarted after it
unless the process ends with the command (cli.run says so)."""

import gc

import pytest

from wasmmerge import collector


@pytest.fixture
def collecting():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()
    else:
        gc.enable()


def test_paused_restarts_the_collector_after(collecting):
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_paused_leaves_a_collector_the_caller_paused_off(collecting):
    gc.disable()
    with collector.paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_paused_restarts_it_after_an_error(collecting):
    with pytest.raises(ValueError):
        with collector.paused():
            raise ValueError
    assert gc.isenabled()


def test_a_command_ending_the_process_keeps_it_off(collecting, monkeypatch):
    # cli.run with `link` or `merge`: the first pass of a restarted collector would walk
    # every object the link made, for nothing, just before the process ends.
    monkeypatch.setattr(collector, "_process_ends_with_command", False)
    collector.end_with_command()
    with collector.paused(to_the_end=True):
        with collector.paused():  # driver.link's, pipeline.merge's own
            pass
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_work_that_goes_on_gets_it_back_though_the_process_ends_with_the_command(collecting, monkeypatch):
    # `verify` merges, then runs modules: the merge's pause ends with the merge.
    monkeypatch.setattr(collector, "_process_ends_with_command", False)
    collector.end_with_command()
    with collector.paused():
        pass
    assert gc.isenabled()


def test_in_process_the_command_s_pause_ends_too(collecting, monkeypatch):
    monkeypatch.setattr(collector, "_process_ends_with_command", False)
    with collector.paused(to_the_end=True):
        pass
    assert gc.isenabled()
