"""A data-preparation script (a custom run) writes into KINTERN_OUTPUT_DIR; the result
lists the files, and the next run trains on exactly what the script wrote."""

import json
from pathlib import Path

from kintern_trainer.toy import ToyTask
from tests.trainer.builders import RequestBuilder, run_train

# Reads the run's data sets from the request file, keeps the rows about one category,
# and writes them where the trainer says.
PREP_SCRIPT = """
import json, os, yaml
request = yaml.safe_load(open(os.environ["KINTERN_RUN_REQUEST_FILE"]))
source = request["spec"]["datasets"][0]["name"]
rows = [json.loads(line) for line in open(source)]
kept = [r for r in rows if "fruit" in json.dumps(r)]
with open(os.path.join(os.environ["KINTERN_OUTPUT_DIR"], "fruit.jsonl"), "w") as f:
    f.writelines(json.dumps(r) + "\\n" for r in kept)
print(f"kept {len(kept)} of {len(rows)} rows")
"""


def test_the_next_run_trains_on_what_the_data_prep_script_wrote(
    tmp_path: Path, tiny_model: Path, toy_task: ToyTask
) -> None:
    prep = RequestBuilder(tmp_path / "prep", tiny_model, toy_task)
    prep.root.mkdir()
    prep.recipe("custom").spec(script={"inline": PREP_SCRIPT})
    code, prepared = run_train(prep)
    assert code == 0, prepared.error
    assert prepared.data_files is not None and len(prepared.data_files) == 1
    written = Path(prepared.data_files[0])
    assert written.name == "fruit.jsonl" and written.is_relative_to(prep.output_dir)
    rows = written.read_text().splitlines()
    assert 0 < len(rows) < sum(1 for _ in toy_task.train.open())

    train = RequestBuilder(tmp_path / "train", tiny_model, toy_task)
    train.root.mkdir()
    train.datasets({"name": prepared.data_files[0]}).hyper(maxSteps=1).eval(limit=10)
    code, trained = run_train(train)

    assert code == 0, trained.error
    record = json.loads((train.output_dir / "kintern-record.json").read_text())
    [source] = record["data"]["sources"]
    assert source["name"] == str(written)
    assert source["rows"] == source["used"] == len(rows)
