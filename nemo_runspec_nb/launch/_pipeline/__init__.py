"""Run a list of :class:`~nemo_runspec_nb.launch.Step` as one pipeline.

Semantics, the same for every launcher: the steps form a shell pipeline,
``step1 | step2 | step3``. All steps start together; each step's stdout is
the next step's stdin (the first reads nothing, the last one's stdout is the
pipeline's output). The pipeline fails when any step exits non-zero (like
``set -o pipefail``); a local run names the last failing step, since an
earlier step that dies of a broken pipe is a consequence rather than the
cause. Steps that do not read stdin simply ignore it, so a ``prep | train``
pair that communicates through files (or through an artifact name printed by
the first and read by the second) works as well. Stderr: a local run keeps
each step's stderr apart (and logs it in ``job_dir``); in a batch job all
steps write to the job's output file.

Launchers
---------
``"local"``
    Subprocesses on this machine; returns once all steps ended, with their
    exit codes, the last step's stdout and each step's stderr.
``"sbatch"``
    Writes one batch script, ``<job_dir>/pipeline.sbatch``, that runs the same
    pipeline, and submits it with ``sbatch --parsable`` (``submit=False``
    writes it only). The script itself holds no secret value.
``"nemo-run"``
    Builds the same script as a :class:`PipelinePlan` and hands it to the
    injected ``submitter`` callable, whose return value (a nemo-run handle,
    say) comes back in :attr:`PipelineResult.handle`. Only the nemo-run
    adapter imports nemo_run, so this module takes the callable instead.

Secrets
-------
Secret variables (``launch._secrets``) go to one owner-only
file in ``job_dir`` that the script sources first. A submitted ``"sbatch"``
pipeline keeps the file, since a job that Slurm requeues (node failure,
preemption, ``scontrol requeue``) runs its script again; right after the
submission a cleanup job on the same partition, account and QOS waits for
the pipeline's job with ``--dependency=afterany`` (which a requeue does not
satisfy) and removes the file (``cleanup_job_argv`` in ``launch._secrets``).
Its id is :attr:`PipelineResult.secrets_cleanup_job`; when Slurm refuses it
the pipeline runs anyway and :attr:`PipelineResult.secrets_cleanup_error`
says where the file stays. When the pipeline's own submission fails, the file
is removed at once.

Two scripts still delete the file as they read it, so they lose their
secrets when requeued: one written with ``submit=False`` (you submit it
yourself, and no cleanup job waits for it), and the ``"nemo-run"`` plan. The
nemo-run script is built before the submitter runs, and the submitter's
handle is opaque (a local executor has no Slurm job id at all), so whether a
cleanup job could follow is not known when the script is written; a kept file
would stay behind whenever none can. A local pipeline writes no file: its
steps get their environment directly.

One module a launcher (``_local``, ``_sbatch``; ``"nemo-run"`` is the injected
submitter), ``_script`` for the script they share, ``_run`` for the entry point.
"""

from __future__ import annotations

from ._result import LAUNCHERS, PipelineLauncher, PipelineResult
from ._run import run_pipeline
from ._sbatch import SBATCH_SCRIPT_NAME
from ._script import PipelinePlan, render_pipeline

__all__ = [
    "LAUNCHERS",
    "SBATCH_SCRIPT_NAME",
    "PipelineLauncher",
    "PipelinePlan",
    "PipelineResult",
    "render_pipeline",
    "run_pipeline",
]
