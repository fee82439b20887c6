"""Benchmark: the notebook layer's start-up cost and the form on a 2,000-key config.

1. ``%load_ext nemo_runspec_nb`` against ``import nemo_run`` (goal <= 0.15x), both
   in a fresh interpreter with an IPython shell already built (median of 5 fresh
   processes, interleaved) and in a fresh ipykernel (median of 3 fresh kernels each,
   timed inside the kernel).
2. ``RecipeForm`` for a recipe whose config has 2,000 leaves in 20 sections:
   seconds to build (goal <= 1 s, best of 3) and widget models created up front
   (goal <= 200; counted in ipywidgets' instance registry, layouts and styles included).

Run: ``.venv/bin/python benchmarks/bench_notebook.py``
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5
SECTIONS, KEYS = 20, 100

_TIMED = """
import time
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
start = time.perf_counter()
{statement}
print(time.perf_counter() - start)
"""

RECIPE = """\
# /// script
# [tool.runspec]
# schema = "1"
# name = "bench/big"
# [tool.runspec.run]
# launch = "direct"
# [tool.runspec.resources]
# nodes = 1
# gpus_per_node = 0
# ///
print("big")
"""


def _time_in_fresh_process(statement: str) -> float:
    code = _TIMED.format(statement=statement)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=str(ROOT)
    ).stdout
    return float(out.strip().splitlines()[-1])


def bench_load_ext() -> tuple[float, float]:
    """Median seconds of ``%load_ext nemo_runspec_nb`` and of ``import nemo_run``."""
    load, nemo = [], []
    for _ in range(RUNS):
        load.append(_time_in_fresh_process("ip.run_line_magic('load_ext', 'nemo_runspec_nb')"))
        nemo.append(_time_in_fresh_process("import nemo_run"))
    return statistics.median(load), statistics.median(nemo)


def _time_in_fresh_kernel(statement: str) -> float:
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", cwd=str(ROOT), stderr=subprocess.DEVNULL)
    try:
        code = f"import time as _t\n_s = _t.perf_counter()\n{statement}\nprint(_t.perf_counter() - _s)"
        out: list[str] = []

        def collect(msg: dict[str, object]) -> None:
            content = msg["content"]
            if msg["msg_type"] == "stream" and isinstance(content, dict):
                out.append(str(content["text"]))

        reply = client.execute_interactive(code, timeout=120, output_hook=collect)
        assert reply["content"]["status"] == "ok", reply["content"]
        return float("".join(out).strip().splitlines()[-1])
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def bench_load_ext_kernel(runs: int = 3) -> tuple[float, float]:
    """Median seconds of the two statements, each in a fresh kernel."""
    load, nemo = [], []
    for _ in range(runs):
        load.append(_time_in_fresh_kernel("get_ipython().run_line_magic('load_ext', 'nemo_runspec_nb')"))
        nemo.append(_time_in_fresh_kernel("import nemo_run"))
    return statistics.median(load), statistics.median(nemo)


def _big_recipe(root: Path) -> Path:
    (root / "big" / "config").mkdir(parents=True)
    script = root / "big" / "big.py"
    script.write_text(RECIPE)
    lines = []
    for s in range(SECTIONS):
        lines.append(f"section_{s}:")
        for k in range(KEYS):
            lines.append(f"  key_{k}: {[k, 'true', f'text{k}', k / 10][k % 4]}")
    (root / "big" / "config" / "default.yaml").write_text("\n".join(lines) + "\n")
    shutil.copy(ROOT / "notebooks" / "recipes" / "env.toml", root / "env.toml")
    return script


def bench_form() -> tuple[float, int]:
    """Best seconds to build the form and the widget models it created."""
    from ipywidgets.widgets import widget

    from nemo_runspec_nb import Recipe, Session
    from nemo_runspec_nb.notebook import RecipeForm

    with tempfile.TemporaryDirectory() as tmp:
        script = _big_recipe(Path(tmp))
        session = Session(Path(tmp) / "env.toml")
        Recipe(script, session=session).compose()  # warm imports (omegaconf, pandas, yaml)
        best, models = float("inf"), 0
        for _ in range(3):
            recipe = Recipe(script, session=session)
            before = len(widget._instances)
            start = time.perf_counter()
            form = RecipeForm(recipe)
            best = min(best, time.perf_counter() - start)
            models = len(widget._instances) - before
            assert len(form.editor.leaves) == SECTIONS * KEYS, len(form.editor.leaves)
            form.close()
    return best, models


def main() -> dict[str, float]:
    load, nemo = bench_load_ext()
    ratio = load / nemo
    print(f"notebook.load_ext: {load * 1000:.0f} ms vs import nemo_run {nemo * 1000:.0f} ms")
    print(f"notebook.load_ext_ratio: {ratio:.3f}x import nemo_run (goal <= 0.15x)")
    k_load, k_nemo = bench_load_ext_kernel()
    k_ratio = k_load / k_nemo
    print(f"notebook.kernel_load_ext: {k_load * 1000:.0f} ms vs import nemo_run {k_nemo * 1000:.0f} ms")
    print(f"notebook.kernel_load_ext_ratio: {k_ratio:.3f}x import nemo_run (goal <= 0.15x)")
    seconds, models = bench_form()
    print(f"notebook.form_build_2000_keys: {seconds:.3f} s (goal <= 1 s)")
    print(f"notebook.form_widget_models: {models} (goal <= 200)")
    return {
        "notebook.load_ext_s": load,
        "notebook.import_nemo_run_s": nemo,
        "notebook.load_ext_ratio": ratio,
        "notebook.kernel_load_ext_s": k_load,
        "notebook.kernel_import_nemo_run_s": k_nemo,
        "notebook.kernel_load_ext_ratio": k_ratio,
        "notebook.form_build_s": seconds,
        "notebook.form_widget_models": float(models),
    }


if __name__ == "__main__":
    main()
