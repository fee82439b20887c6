from __future__ import annotations

from datetime import datetime
from pathlib import Path

from nemo_runspec_nb.config._layout import ProjectLayout, claim_job_dir

NOW = datetime(2026, 12, 2, 17, 30, 5)


def test_every_state_folder_sits_under_dot_nemotron(tmp_path: Path):
    layout = ProjectLayout(tmp_path)
    assert layout.jobs_dir == tmp_path / ".nemotron" / "jobs"
    assert layout.nemorun_home == tmp_path / ".nemotron" / "nemorun"
    assert layout.artifacts_root == tmp_path / ".nemotron" / "artifacts"


def test_job_dir_names_are_stamped_and_safe(tmp_path: Path):
    assert ProjectLayout.job_dir_name("sft/llama 3", NOW) == "20261202-173005-sft-llama-3"
    assert ProjectLayout.job_dir_name("///", NOW) == "20261202-173005-job"
    layout = ProjectLayout(tmp_path)
    first = layout.new_job_dir("train", NOW)
    first.mkdir(parents=True)
    assert layout.new_job_dir("train", NOW) == first.with_name(first.name + "-2")


def test_a_job_dir_knows_its_project(tmp_path: Path):
    job = ProjectLayout(tmp_path).new_job_dir("train", NOW)
    assert ProjectLayout.of_job_dir(job) == ProjectLayout(tmp_path)
    assert ProjectLayout.of_job_dir(tmp_path / "elsewhere" / "job") is None


def test_claim_is_exclusive(tmp_path: Path):
    wanted = tmp_path / "jobs" / "20261202-173005-train"
    assert claim_job_dir(wanted) == wanted
    assert claim_job_dir(wanted) == wanted.with_name(wanted.name + "-2")
