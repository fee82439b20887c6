"""Jobs that never block the kernel: render, submit, watch, reconnect, cancel, list.

One module per job of the package; :mod:`nemo_runspec_nb.launch` re-exports the public names:

* :mod:`._state`: :class:`JobState`, a job's status at one moment.
* :mod:`._render`: the pieces of a job's ``run.sh`` and sbatch script (no I/O).
* :mod:`._backend`: what one kind of job does differently (:class:`Backend`); one module per
  kind: :mod:`._local` (a detached runner of ours), :mod:`._slurm` (sbatch through nemo-run),
  :mod:`._ssh` (Slurm through an SSH tunnel). :mod:`._backends` is the table of them: a new
  kind of job (e.g. a cloud) is one new module and one line there.
* :mod:`._submit`: :func:`submit`, :func:`launch` and the previews (:func:`render_run_sh`,
  :func:`render_submission_script`).
* :mod:`._handle`: :class:`JobHandle`, a launched job read from its ``job.json``.
* :mod:`._follow`: :class:`LogFollower`, new log text of a job since the last read.
* :mod:`._listing`: :func:`refresh_statuses` (batched) and :func:`jobs` (the DataFrame).
"""
