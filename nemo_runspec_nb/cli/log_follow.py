"""Stream a job's log while it runs: new text of each log file, read from where it stopped.

A Slurm job's log file appears only once its step starts; until then its
handle lists the sbatch script's output instead. :class:`LogFollower` keeps an
offset per file (so a change of files never loses or repeats text) and shows
the sbatch output only if the job ended without a log of its own (e.g. a
failure before the step ran).
"""

from __future__ import annotations

import codecs
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..launch import JobHandle, JobState

__all__ = ["LogFollower", "follow"]


class LogFollower:
    """Hands out the text a job's log files gained since the last call."""

    def __init__(self, handle: JobHandle) -> None:
        self.handle = handle
        self._offsets: dict[Path, int] = {}
        self._decoders: dict[Path, codecs.IncrementalDecoder] = {}

    def _files(self, final: bool) -> list[Path]:
        files = self.handle.log_files()
        own = [f for f in files if not f.name.startswith("sbatch_")]
        return own if own or not final else files

    def _remote(self) -> bool:
        # SSH jobs: the files live on the cluster; the handle reads them from offsets in one call.
        return getattr(self.handle, "remote", None) is not None

    def _remote_read(self, final: bool) -> list[tuple[Path, bytes]]:
        offsets = {str(path): offset for path, offset in self._offsets.items()}
        got = [(Path(key), data) for key, data in self.handle.read_logs(offsets)]
        own = [(path, data) for path, data in got if not path.name.startswith("sbatch_")]
        return own if own or not final else got

    def skip_existing(self) -> None:
        """Start from the current end of each file (after printing a tail)."""
        if self._remote():
            for path, data in self._remote_read(final=True):
                self._offsets[path] = self._offsets.get(path, 0) + len(data)
            return
        for path in self._files(final=True):
            try:
                self._offsets[path] = path.stat().st_size
            except OSError:
                continue

    def read(self, *, final: bool = False) -> str:
        """New text since the last call (``final``: the job ended, so fall back to the sbatch output)."""
        chunks = []
        for path, data in self._remote_read(final) if self._remote() else self._local_read(final):
            offset = self._offsets.get(path, 0)
            if not data:
                continue
            self._offsets[path] = offset + len(data)
            decoder = self._decoders.setdefault(path, codecs.getincrementaldecoder("utf-8")(errors="replace"))
            chunks.append(decoder.decode(data, final=final))
        return "".join(chunks)

    def _local_read(self, final: bool) -> list[tuple[Path, bytes]]:
        out = []
        for path in self._files(final):
            try:
                with open(path, "rb") as handle:
                    handle.seek(self._offsets.get(path, 0))
                    out.append((path, handle.read()))
            except OSError:
                continue
        return out


def follow(
    handle: JobHandle,
    on_output: Callable[[str], None],
    *,
    poll: float = 0.5,
    follower: LogFollower | None = None,
) -> JobState:
    """Pass new log text to ``on_output`` until the job is done; return its final state.

    Also returns (an UNKNOWN state, with the reason) once nothing has told the job's state for
    ``handle.unknown_limit`` seconds, so following a job that vanished ends too.
    """
    follower = follower or LogFollower(handle)
    while True:
        state = handle.status()
        lost = handle.given_up(state)
        text = follower.read(final=state.done or lost is not None)
        if text:
            on_output(text)
        if state.done:
            return state
        if lost is not None:
            return lost
        time.sleep(poll)
