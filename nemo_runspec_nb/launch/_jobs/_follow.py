"""Follow a job's log while it runs: the text each log file gained since the last read.

:class:`LogFollower` keeps an offset and an incremental UTF-8 decoder per file,
so a job whose log moves (a Slurm job's batch output, then its task log)
loses and repeats nothing, and a character split between two reads comes out
whole. Its two policies are options: ``whole_lines`` holds a partial last
line back until its newline (or the end), ``sbatch_fallback`` shows a Slurm
job's sbatch output only when the job ended without a log of its own (a
failure before its step ran). :meth:`JobHandle.wait` with ``on_output`` uses one.
"""

from __future__ import annotations

import codecs
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ._state import JobState

__all__ = ["LogFollower", "LogSource", "WaitableJob", "log_text", "wait_for_job"]

_SBATCH_PREFIX = "sbatch_"


class LogSource(Protocol):
    """What a follower reads: a :class:`JobHandle` (or a test double such as ``FakeJob``)."""

    def read_logs(self, offsets: Mapping[str, int]) -> list[tuple[str, bytes]]:
        """New bytes of each log file from its offset in ``offsets`` (key: the file's path)."""
        ...


class WaitableJob(LogSource, Protocol):
    """What :func:`wait_for_job` waits on: a :class:`JobHandle` or a test double."""

    def status(self) -> JobState:
        """The job's current state."""
        ...

    def given_up(self, state: JobState) -> JobState | None:
        """``state`` with a reason once it has been UNKNOWN too long; else None."""
        ...


def _decoder() -> codecs.IncrementalDecoder:
    return codecs.getincrementaldecoder("utf-8")(errors="replace")


class LogFollower:
    """Hands out the text a job's log files gained since the last call.

    Args:
        handle: the job (anything with ``read_logs(offsets)``).
        whole_lines: hand out whole lines only; a partial last line waits for its newline, and
            the final read hands it out with a newline added.
        sbatch_fallback: leave a Slurm job's sbatch output (``sbatch_*``) out, unless the final
            read finds no other log (the job failed before its own log existed).

    """

    def __init__(
        self, handle: LogSource, *, whole_lines: bool = False, sbatch_fallback: bool = False
    ) -> None:
        self.handle = handle
        self.whole_lines = whole_lines
        self.sbatch_fallback = sbatch_fallback
        self._offsets: dict[str, int] = {}
        self._decoders: dict[str, codecs.IncrementalDecoder] = {}

    def _chunks(self, final: bool) -> list[tuple[str, bytes]]:
        got = self.handle.read_logs(dict(self._offsets))
        if not self.sbatch_fallback:
            return got
        own = [(key, data) for key, data in got if not PurePosixPath(key).name.startswith(_SBATCH_PREFIX)]
        return own if own or not final else got

    def skip_existing(self) -> None:
        """Start from the current end of each file (e.g. after printing a tail)."""
        for key, data in self.handle.read_logs(dict(self._offsets)):
            self._offsets[key] = self._offsets.get(key, 0) + len(data)

    def read(self, *, final: bool = False) -> str:
        """New text since the last call; ``final``: the job ended, so hand out everything left."""
        out = []
        for key, data in self._chunks(final):
            if not self.whole_lines or final:
                take = len(data)
            else:
                take = data.rfind(b"\n") + 1  # a partial last line waits for its newline
            if not take:
                continue
            self._offsets[key] = self._offsets.get(key, 0) + take
            text = self._decoders.setdefault(key, _decoder()).decode(data[:take], final=final)
            if self.whole_lines and final and text and not text.endswith("\n"):
                text += "\n"
            out.append(text)
        return "".join(out)


def log_text(chunks: Iterable[tuple[str, bytes]], tail: int | None = None) -> str:
    """The text of whole log files, one after the other (each ends with a newline); ``tail``: last N lines."""
    texts = (data.decode(errors="replace") for _, data in chunks)
    text = "".join(t if t.endswith("\n") else t + "\n" for t in texts if t)
    if tail is not None:
        lines = text.splitlines(keepends=True)
        text = "".join(lines[-tail:]) if tail > 0 else ""
    return text


def wait_for_job(
    job: WaitableJob,
    *,
    timeout: float | None = None,
    poll: float = 1.0,
    on_output: Callable[[str], None] | None = None,
    follower: LogFollower | None = None,
    when_done: Callable[[], None] | None = None,
) -> JobState:
    """The loop of :meth:`JobHandle.wait`: poll ``job`` until it is done, gives up or ``timeout``.

    With ``on_output``, each poll passes it the text ``follower`` (default: whole lines) reads;
    the last read is final. ``when_done`` runs once the job is seen done, before that last read.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    if on_output is not None and follower is None:
        follower = LogFollower(job, whole_lines=True)
    while True:
        state = job.status()
        lost = None if state.done else job.given_up(state)
        if state.done and when_done is not None:
            when_done()
        if on_output is not None and follower is not None:
            text = follower.read(final=state.done or lost is not None)
            if text:
                on_output(text)
        if state.done:
            return state
        if lost is not None:
            return lost
        if deadline is not None and time.monotonic() >= deadline:
            return state
        time.sleep(poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic())))
