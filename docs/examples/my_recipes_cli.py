"""My recipes as a command line: ``python my_recipes_cli.py train -c tiny model.lr=0.1``."""

import os
from pathlib import Path

from nemo_runspec_nb.cli import RecipeConfig, RecipeTyper

RECIPES = Path(os.environ.get("MY_RECIPES", Path(__file__).resolve().parents[2] / "notebooks" / "recipes"))

app = RecipeTyper(name="my-recipes", help="Prepare data, train and evaluate the tiny model.")
app.add_recipe_command(RECIPES / "prep" / "prep.py", name="prep", help="Make the synthetic data set.")
app.add_recipe_command(RECIPES / "eval" / "eval.py", name="eval", help="Evaluate the latest model.")


@app.recipe_command(RECIPES / "train" / "train.py")
def train(cfg: RecipeConfig) -> RecipeConfig:
    """Train the model; runs on this machine stop after 5 epochs unless told otherwise."""
    if cfg.profile is None and not any(o.startswith("model.epochs=") for o in cfg.dotlist):
        return cfg.with_overrides("model.epochs=5")
    return cfg


if __name__ == "__main__":
    app()
