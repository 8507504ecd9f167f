"""Write the notebooks of this folder from their cells, so that they diff as code.

Run ``python notebooks/build_notebooks.py`` after editing a cell here; the test suite
executes the ``.ipynb`` files it writes.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

TRAIN_PERSON_MODEL = [
    new_markdown_cell(
        "# Train the person model\n\n"
        "From a synthetic project to a saved model: profile the registries, try "
        "blocking rules, train without labels, inspect the match weights, evaluate "
        "against the truth, and save the model to `models/`.\n\n"
        "Set `YIDANG_PERSONS` for a larger population and `YIDANG_MODEL_PATH` for "
        "where the model goes."
    ),
    new_code_cell(
        "import os\n"
        "import tempfile\n"
        "from pathlib import Path\n\n"
        "from blocking import PERSON_RULES, pairs_per_rule, recall_against_labels\n"
        "from evaluation.metrics import evaluate, read_assignment\n"
        "from evaluation.synth import generate\n"
        "from linkage.model import ModelCard, now_text, save_model, train, "
        "trained_settings\n"
        "from linkage.pipeline import prepare_project, run_project\n\n"
        "PERSONS = int(os.environ.get('YIDANG_PERSONS', '2000'))\n"
        "MODEL_PATH = Path(os.environ.get('YIDANG_MODEL_PATH', "
        "'../models/person_notebook.json'))\n"
        "WORK = Path(tempfile.mkdtemp(prefix='yidang-notebook-'))"
    ),
    new_markdown_cell("## A synthetic project\n\nRegistries with their truth."),
    new_code_cell(
        "summary = generate(WORK / 'registries', persons=PERSONS, seed=11)\n"
        "summary.records"
    ),
    new_markdown_cell(
        "## Load, standardise, profile\n\n"
        "Every registry is read as text and standardised into `yd_link_input`."
    ),
    new_code_cell(
        "project, store = prepare_project(summary.project_path)\n"
        "store.query('''\n"
        "    SELECT source, count(*) AS records,\n"
        "        round(avg((id_key IS NOT NULL)::INT), 3) AS with_id_key,\n"
        "        round(avg((name_clean IS NOT NULL)::INT), 3) AS with_name,\n"
        "        round(avg((birth_date IS NOT NULL)::INT), 3) AS with_birth_date\n"
        "    FROM yd_link_input GROUP BY source ORDER BY records DESC\n"
        "''').df()"
    ),
    new_code_cell(
        "store.query('''\n"
        "    SELECT id_class, count(*) AS records FROM yd_link_input\n"
        "    GROUP BY id_class ORDER BY records DESC\n"
        "''').df()"
    ),
    new_code_cell(
        "from splink import DuckDBAPI\n"
        "from splink.exploratory import profile_columns\n\n"
        "frame = DuckDBAPI(store.con.cursor()).register('yd_link_input')\n"
        "profile_columns(frame, ['name_clean', 'surname', 'birth_date'], top_n=8)"
    ),
    new_markdown_cell(
        "## Blocking rules\n\n"
        "Pairs each rule proposes, and the share of true pairs found so far."
    ),
    new_code_cell(
        "import pandas as pd\n\n"
        "counts = pd.DataFrame(pairs_per_rule(store.con))\n"
        "store.con.execute(\n"
        "    'CREATE OR REPLACE TEMP TABLE truth AS SELECT * FROM '\n"
        "    'read_csv(?, all_varchar = true)', [str(summary.truth_path)]\n"
        ")\n"
        "store.con.execute(\n"
        "    'CREATE OR REPLACE TEMP TABLE labelled AS SELECT i.*, t.person_key '\n"
        "    'FROM yd_link_input AS i JOIN truth AS t USING (source, record_id)'\n"
        ")\n"
        "recall = recall_against_labels(store.con, 'person_key', table='labelled')\n"
        "counts['cumulative_recall'] = [r.cumulative_recall for r in recall]\n"
        "counts"
    ),
    new_markdown_cell(
        "## Train without labels\n\n"
        "u from random pairs, m by EM over several blocking rules, the prior from "
        "exact ID agreement."
    ),
    new_code_cell(
        "linker = train(store.con)\nlinker.visualisations.match_weights_chart()"
    ),
    new_code_cell("linker.visualisations.m_u_parameters_chart()"),
    new_code_cell(
        "settings = trained_settings(linker)\n"
        "card = ModelCard(trained_on=f'synthetic, {PERSONS:,} persons, seed 11',\n"
        "                 records=int(store.scalar('SELECT count(*) FROM "
        "yd_link_input')),\n"
        "                 trained_at=now_text())\n"
        "store.close()\n"
        "save_model(MODEL_PATH, settings, card)"
    ),
    new_markdown_cell(
        "## Evaluate on registries the model has not seen\n\n"
        "A second population, another seed, linked with the saved model."
    ),
    new_code_cell(
        "held_out = generate(WORK / 'held-out', persons=PERSONS, seed=12)\n"
        "result = run_project(held_out.project_path, out_dir=WORK / 'outputs',\n"
        "                     model=MODEL_PATH)\n"
        "metrics = evaluate(read_assignment(result.outputs['clusters.csv'], "
        "'person_id'),\n"
        "                   read_assignment(held_out.truth_path, 'person_key'))\n"
        "metrics.headline()"
    ),
    new_code_cell(
        "assert metrics.missing_records == 0\n"
        "assert metrics.pairwise_precision > 0.98 and metrics.pairwise_recall > 0.97\n"
        "print(f'saved {MODEL_PATH}')"
    ),
]


def main() -> None:
    """Write every notebook of this folder."""
    notebook = new_notebook(cells=TRAIN_PERSON_MODEL)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = Path(__file__).with_name("train_person_model.ipynb")
    nbformat.write(notebook, path)


if __name__ == "__main__":
    main()
