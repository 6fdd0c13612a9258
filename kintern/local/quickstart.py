"""The quickstart's own material: a tiny base model and a generated multiple-choice task.

Nothing is downloaded: the model is built from a config with a tokenizer trained here,
and the task (train split plus a held-out evaluation split) is generated.
`examples/quickstart.yaml` points at these paths.
"""

from pathlib import Path

QUICKSTART_ROOT = Path(".kintern/quickstart")
MODEL_DIR = QUICKSTART_ROOT / "model"
DATA_DIR = QUICKSTART_ROOT / "data"
CAMPAIGN_DIR = QUICKSTART_ROOT / "campaign"
EXAMPLE = Path("examples/quickstart.yaml")


def prepare(root: Path = Path(".")) -> None:
    """Build the tiny model and the task once; later calls reuse them."""
    build_material(root / QUICKSTART_ROOT)


def build_material(directory: Path) -> Path:
    """`directory`/model and `directory`/data (what the quickstart campaigns read), unless
    they are there already; the cluster quickstart puts them on its checkpoint volume."""
    from kintern_trainer.toy import build_tiny_model, generate_mc_task

    model, data = directory / "model", directory / "data"
    if not (model / "config.json").exists():
        build_tiny_model(model, seed=0)
    if not (data / "eval.jsonl").exists():
        generate_mc_task(data, seed=0)
    return directory


if __name__ == "__main__":  # python -m kintern.local.quickstart DIR (make cluster-quickstart)
    import sys

    build_material(Path(sys.argv[1]))
