"""Slurm launch benchmarks on the local cluster (scripts/local-slurm/start.sh).

Figures (one line each):
  slurm_cli_calls_per_refresh_20_jobs  max Slurm CLI calls of one refresh_statuses() over 20 jobs
                                       (queued/running, then ended)                  goal <= 2
  submit_ours_s / submit_nemorun_s     median wall time of one submit: our API vs a plain
                                       nemo-run script submitting the same job
  submit_ratio                         ours / plain nemo-run                        goal <= 1.3

Skips with a printed reason when Slurm is down. Run: python benchmarks/bench_slurm.py
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROFILE: dict[str, Any] = {
    "executor": "slurm",
    "account": "default",
    "partition": "debug",
    "gpus_per_node": 0,
    "time": "00:05:00",
}
RECIPE = "import sys, time, os\ntime.sleep(float(os.environ.get('SLEEP', '0')))\nprint('done')\n"


def _slurm_down() -> str | None:
    if shutil.which("sinfo") is None:
        return "Slurm is not installed (no sinfo); run scripts/local-slurm/start.sh"
    proc = subprocess.run(
        ["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=10, check=False
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        return f"the Slurm cluster is down: {proc.stderr.strip() or 'no nodes'}"
    return None


def _request(root: Path, i: int, sleep: float) -> Any:
    from nemo_runspec_nb.launch import LaunchRequest
    from nemo_runspec_nb.runspec import Runspec, RunspecResources, RunspecRun

    script = root / "recipe.py"
    runspec = Runspec(
        script_path=script,
        name="bench",
        run=RunspecRun(launch="direct"),
        resources=RunspecResources(nodes=1, gpus_per_node=0),
    )
    job_dir = root / ".nemotron" / "jobs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{i:03d}-bench"
    job_dir.mkdir(parents=True)
    (job_dir / "train.yaml").write_text("x: 1\n")
    return LaunchRequest(
        name="bench",
        job_dir=job_dir,
        script_path=script,
        runspec=runspec,
        profile=PROFILE,
        env_vars={"SLEEP": str(sleep)},
    )


def _plain_nemorun_submit(root: Path, i: int) -> str:
    """What a user would write with nemo-run alone for the same job."""
    import nemo_run as run

    script = root / f"plain-{i}.sh"
    script.write_text(f"cd {root}\npython {root / 'recipe.py'} --config {root / 'train.yaml'}\n")
    home = root / ".nemotron" / "nemorun"
    executor = run.SlurmExecutor(
        account="default",
        partition="debug",
        time="00:05:00",
        tunnel=run.LocalTunnel(job_dir=str(home / "experiments")),
        packager=run.Packager(),
        poll_estimated_start_time=False,  # as ours; nemo-run's default prints from a thread
    )
    with run.Experiment(
        f"plain-{i}", executor=executor, base_dir=str(home), log_level="WARNING", clean_mode=True
    ) as exp:
        exp.add(run.Script(path=str(script)), name="bench")
        exp.run(detach=True)
    return str(exp.jobs[0].handle).rsplit("/", 1)[-1]


def _facade_project(root: Path) -> Any:
    """A git repo with a real recipe (PEP 723 block, config dir, env.toml), as a user has it."""
    import nemo_runspec_nb as nrs

    project = root / "project"
    (project / "config").mkdir(parents=True)
    (project / "train.py").write_text(
        '# /// script\n# [tool.runspec]\n# name = "bench/train"\n# [tool.runspec.run]\n'
        '# launch = "direct"\n# [tool.runspec.resources]\n# gpus_per_node = 0\n# ///\n' + RECIPE
    )
    (project / "config" / "default.yaml").write_text("lr: 0.1\nepochs: 1\n")
    profile = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in PROFILE.items())
    (project / "env.toml").write_text(
        f'[bench]\n{profile}tunnel = "local"\npackager = "code"\ncontainer_image = ""\n'
    )
    (project / ".gitignore").write_text(".nemotron/\n")
    for cmd in (
        ["init", "-q"],
        ["add", "."],
        ["-c", "user.email=b@b", "-c", "user.name=b", "commit", "-qm", "x"],
    ):
        subprocess.run(["git", *cmd], cwd=project, check=True)
    return nrs.Recipe(project / "train.py", session=nrs.Session(project / "env.toml"))


def main() -> dict[str, float]:
    reason = _slurm_down()
    if reason:
        print(f"SKIP bench_slurm: {reason}")
        return {}
    from nemo_runspec_nb.launch import NemoRun, SlurmQuery, refresh_statuses, submit

    root = Path(tempfile.mkdtemp(prefix="nrs-bench-slurm-"))
    (root / "recipe.py").write_text(RECIPE)
    (root / "train.yaml").write_text("x: 1\n")
    nemorun = NemoRun(root / ".nemotron" / "nemorun")
    nemorun.module()  # both sides below run with nemo_run already imported
    submitted: list[str] = []
    results: dict[str, float] = {}
    try:
        # 1. Slurm CLI calls per refresh of 20 jobs
        handles = [submit(_request(root, i, sleep=20), nemorun=nemorun) for i in range(20)]
        submitted += [h.job_id or "" for h in handles]
        worst = 0
        query = SlurmQuery()
        for _ in range(3):  # queued / running
            before = query.calls
            refresh_statuses(handles, query=query)
            worst = max(worst, query.calls - before)
        subprocess.run(["scancel", *submitted], check=False)
        deadline = time.monotonic() + 60
        while True:  # ended: squeue + one sacct for all of them
            before = query.calls
            states = refresh_statuses(handles, query=query)
            worst = max(worst, query.calls - before)
            if all(s.done for s in states) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        results["slurm_cli_calls_per_refresh_20_jobs"] = float(worst)

        # 2. submit: ours vs plain nemo-run, alternating, median of 5 each
        ours, plain = [], []
        for i in range(5):
            t = time.perf_counter()
            h = submit(_request(root, 100 + i, sleep=0), nemorun=nemorun)
            ours.append(time.perf_counter() - t)
            submitted.append(h.job_id or "")
            t = time.perf_counter()
            submitted.append(_plain_nemorun_submit(root, i))
            plain.append(time.perf_counter() - t)
        results["submit_ours_s"] = statistics.median(ours)
        results["submit_nemorun_s"] = statistics.median(plain)
        results["submit_ratio"] = results["submit_ours_s"] / results["submit_nemorun_s"]

        # 3. the whole path a user takes: compose + package (code packager) + submit,
        #    through the facade, against the same plain nemo-run submission
        recipe = _facade_project(root)
        full = []
        for i in range(5):
            t = time.perf_counter()
            h = recipe.compose(profile="bench", mode="batch", overrides=["+sleep=0"]).launch()
            full.append(time.perf_counter() - t)
            submitted.append(h.job_id or "")
            t = time.perf_counter()
            submitted.append(_plain_nemorun_submit(root, 200 + i))
            plain.append(time.perf_counter() - t)
        results["compose_package_submit_s"] = statistics.median(full)
        results["compose_package_submit_ratio"] = results["compose_package_submit_s"] / statistics.median(
            plain
        )
    finally:
        ids = [i for i in submitted if i.isdigit()]
        if ids:
            subprocess.run(["scancel", *ids], check=False)
        shutil.rmtree(root, ignore_errors=True)
    print(
        "slurm.cli_calls_per_refresh_20_jobs: "
        f"{results['slurm_cli_calls_per_refresh_20_jobs']:.0f} (goal <= 2)"
    )
    print(
        f"slurm.submit: {results['submit_ratio']:.2f}x plain nemo-run "
        f"({results['submit_ours_s'] * 1000:.0f} ms vs {results['submit_nemorun_s'] * 1000:.0f} ms)"
    )
    print(
        f"slurm.compose_package_submit: {results['compose_package_submit_ratio']:.2f}x plain nemo-run "
        f"(goal <= 1.3x; {results['compose_package_submit_s'] * 1000:.0f} ms)"
    )
    return results


if __name__ == "__main__":
    main()
    sys.exit(0)
