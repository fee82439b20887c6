"""``packager = "none"``: nothing is copied; the job runs the script where it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ._base import PackagedCode, PackagerKind, check_script


@dataclass(frozen=True)
class PassThroughPackager:
    """Copies nothing: the job runs ``python /abs/script.py`` where the script is."""

    kind: ClassVar[PackagerKind] = "none"

    def package(
        self, script: Path, out_dir: Path, *, config: Path | None = None, args: Sequence[str] = ()
    ) -> PackagedCode:
        """Describe running ``script`` in place; ``out_dir`` is not touched."""
        script = check_script(script)
        return PackagedCode(
            kind=self.kind,
            root=script.parent,
            entrypoint=str(script),
            command=("python", str(script), *args),
            config=str(Path(config).resolve()) if config is not None else None,
        )
