"""Pausing the cyclic garbage collector for work that makes objects by the hundred
thousand and frees almost none until it ends (a link, a merge): each collection would
walk every object alive and find nothing to free.

After such work, a restarted collector's first pass walks every object it made (22 ms
after a 300-object link), which a process about to end need not pay. The entry point
(`cli.run`, which ends the process without the interpreter's teardown) says that the
process ends with its command (`end_with_command()`); a command whose last work is the
paused one (`link`, `merge`: the outputs written, nothing run after) then asks for the
pause to last until the end (`paused(to_the_end=True)`). Anything else, `verify` running
modules after it merges them included, gets the collector back.
"""

import gc

_process_ends_with_command = False


def end_with_command() -> None:
    """The process ends when the command it runs returns (`cli.run`)."""
    global _process_ends_with_command
    _process_ends_with_command = True


class paused:
    """`with paused():` the collector off, restarted after; with `to_the_end`, left off
    when the process ends with the command."""

    def __init__(self, to_the_end: bool = False):
        self.to_the_end = to_the_end

    def __enter__(self):
        self.collecting = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.collecting and not (self.to_the_end and _process_ends_with_command):
            gc.enable()
