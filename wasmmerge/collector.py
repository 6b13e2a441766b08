"""Pausing the cyclic garbage collector for work that makes objects by the hundred
thousand and frees almost none until it ends (a link, a merge): each collection would
walk every object alive and find nothing to free.

After such work, a restarted collector's first pass walks every object it made (22 ms
after a 300-object link), which a process about to end need not pay: the entry point
(`cli.run`, which ends the process without the interpreter's teardown) says so with
`end_with_command()`, and the pause then lasts until the process ends.
"""

import gc

_process_ends_with_command = False


def end_with_command() -> None:
    """The process ends when the command it runs returns (`cli.run`)."""
    global _process_ends_with_command
    _process_ends_with_command = True


class paused:
    """`with paused():` the collector off; restarted after, unless the process ends with
    the command."""

    def __enter__(self):
        self.collecting = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.collecting and not _process_ends_with_command:
            gc.enable()
