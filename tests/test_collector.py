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


def test_a_process_ending_with_the_command_keeps_it_off(collecting, monkeypatch):
    # cli.run: the first pass of a restarted collector would walk every object the link
    # made, for nothing, just before the process ends.
    monkeypatch.setattr(collector, "_process_ends_with_command", False)
    collector.end_with_command()
    with collector.paused():
        pass
    assert not gc.isenabled()
