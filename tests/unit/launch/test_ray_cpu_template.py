import subprocess
from importlib.resources import files

import jinja2
import jinja2.meta
import pytest

TEMPLATE_DIR = files("nemo_runspec_nb") / "launch" / "templates"
# The names nemo-run 0.11.1's SlurmRayRequest.materialize() fills for ray.sub.j2.
NEMO_RUN_VARS = {
    "sbatch_flags",
    "cluster_dir",
    "log_dir",
    "uv_cache_dir",
    "num_retries",
    "env_vars",
    "setup_lines",
    "common_srun_args",
    "command",
    "command_workdir",
    "gres_specification",
    "ray_log_prefix",
    "heterogeneous",
    "resource_group",
    "command_srun_args",
    "pre_ray_start_commands",
    "srun_commands",
    "group_env_vars",
}
OPTIONAL_VARS = {"cpus_per_node", "ray_port"}

BASE = {
    "sbatch_flags": ["#SBATCH --job-name=ray", "#SBATCH --nodes=2", "#SBATCH --cpus-per-task=8"],
    "env_vars": ["export A=1"],
    "setup_lines": "module load python",
    "common_srun_args": "--container-image=img --no-container-mount-home",
    "pre_ray_start_commands": "echo before-ray",
    "log_dir": "/jobs/ray/logs",
    "cluster_dir": "/jobs/ray",
    "ray_log_prefix": "ray-",
    "command": "python driver.py --steps 3",
    "command_workdir": "/code",
}


def render(**overrides) -> str:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    source = (TEMPLATE_DIR / "ray_cpu.sub.j2").read_text()
    return env.from_string(source).render(**{**BASE, **overrides})


def bash_syntax_ok(text: str) -> None:
    out = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


def test_template_uses_only_the_variables_nemo_run_fills():
    env = jinja2.Environment()
    used = jinja2.meta.find_undeclared_variables(env.parse((TEMPLATE_DIR / "ray_cpu.sub.j2").read_text()))
    assert used <= NEMO_RUN_VARS | OPTIONAL_VARS
    assert {"sbatch_flags", "common_srun_args", "command", "log_dir"} <= used


def test_renders_head_workers_and_driver_as_valid_bash():
    text = render()
    bash_syntax_ok(text)
    lines = text.splitlines()
    assert lines[0] == "#!/bin/bash"
    assert "#SBATCH --nodes=2" in lines
    assert "export A=1" in lines and "module load python" in lines
    assert (
        'ray start --head --port="$RAY_PORT" --num-cpus="$CPUS_PER_NODE" --num-gpus=0 --disable-usage-stats'
        in text
    )
    assert 'ray start --address="$HEAD_NODE:$RAY_PORT"' in text
    assert text.count("echo before-ray") == 2, "before the head and before each worker"
    assert "for ((i = 1; i < NUM_NODES; i++)); do" in text
    assert "srun --container-image=img --no-container-mount-home --nodes=1 --ntasks=1" in text
    assert 'cd /code\nexport RAY_ADDRESS="$HEAD_NODE:$RAY_PORT"\npython driver.py --steps 3\n' in text
    assert "ray stop --force" in text
    assert "export CPUS_PER_NODE=${SLURM_CPUS_ON_NODE:-$(nproc)}" in text
    assert "export RAY_PORT=${RAY_PORT:-6379}" in text


def test_cpus_and_port_can_be_sized_explicitly():
    text = render(cpus_per_node=16, ray_port=7000)
    bash_syntax_ok(text)
    assert "export CPUS_PER_NODE=16" in text
    assert "export RAY_PORT=${RAY_PORT:-7000}" in text


@pytest.mark.parametrize("command", [None, ""])
def test_without_a_command_the_cluster_stays_up(command):
    text = render(command=command, setup_lines="", pre_ray_start_commands=None)
    bash_syntax_ok(text)
    assert "driver_cmd" not in text
    assert text.rstrip().endswith("wait")
