"""What a launch would run, for a human to check: job.yaml, train.yaml, the script, the environment."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PER_NODE_COMMAND", "Preview"]

PER_NODE_COMMAND = "per-node command (run.sh, started by srun on each node)"


@dataclass(frozen=True)
class Preview:
    """Exactly what a launch would run, for a human to check (secrets masked)."""

    job_yaml: str
    train_yaml: str
    script: str
    script_kind: str  # "command" (run.sh) or "sbatch"
    env: Mapping[str, str]
    provenance: pd.DataFrame
    job_dir: Path
    notes: tuple[str, ...] = ()
    command: str = ""
    """The per-node command (``run.sh``) that the sbatch script's ``srun`` starts; "" when
    ``script`` is that command already (local jobs)."""

    @property
    def _script_title(self) -> str:
        return "sbatch script" if self.script_kind == "sbatch" else "command (run.sh)"

    def __str__(self) -> str:
        parts = [f"# job dir (to be created): {self.job_dir}"]
        parts += [f"# note: {note}" for note in self.notes]
        parts += ["", "## job.yaml", self.job_yaml.rstrip(), "", "## train.yaml", self.train_yaml.rstrip()]
        parts += ["", f"## {self._script_title}", self.script.rstrip()]
        if self.command:
            parts += ["", f"## {PER_NODE_COMMAND}", self.command.rstrip()]
        parts += ["", "## environment"]
        parts += [f"{k}={v}" for k, v in sorted(self.env.items())] or ["(none)"]
        return "\n".join(parts) + "\n"

    def _repr_html_(self) -> str:
        def block(title: str, text: str, css: str) -> str:
            return (
                f"<details class='nrs-preview-{css}' open><summary><b>{html.escape(title)}</b></summary>"
                f"<pre style='max-height:30em;overflow:auto'>{html.escape(text)}</pre></details>"
            )

        notes = "".join(f"<p class='nrs-preview-note'>&#9888; {html.escape(n)}</p>" for n in self.notes)
        env = "\n".join(f"{k}={v}" for k, v in sorted(self.env.items())) or "(none)"
        title = self._script_title
        command = block(PER_NODE_COMMAND, self.command, "command") if self.command else ""
        table = self.provenance.to_html(index=False, classes="nrs-provenance", max_rows=400)
        return (
            "<div class='nrs-preview'><p>job dir (to be created): "
            f"<code>{html.escape(str(self.job_dir))}</code></p>"
            f"{notes}<details class='nrs-preview-provenance'><summary><b>provenance "
            f"({len(self.provenance)} keys)</b></summary>{table}</details>"
            f"{block('job.yaml', self.job_yaml, 'job')}{block('train.yaml', self.train_yaml, 'train')}"
            f"{block(title, self.script, 'script')}{command}{block('environment', env, 'env')}</div>"
        )
