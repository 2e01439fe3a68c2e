"""Print, as a JSON list, the files Airflow's DAG processor would parse in a folder.

Usage (with the python of one of the venvs made by scripts/airflow-venvs.sh):

    python tests/airflow/dag_files.py DAG_FOLDER --ignore-syntax regexp|glob

Runs Airflow's own `list_py_file_paths` (the walk the DAG processor and `DagBag` do:
links followed, `.airflowignore` files applied, the "airflow"+"dag" heuristic of safe
mode) with `[core] dag_ignore_file_syntax` set as asked, in a throwaway AIRFLOW_HOME.
Paths are printed relative to DAG_FOLDER, as Airflow reached them (through links),
sorted. Exits 1 with Airflow's message on stderr when the walk fails (e.g. "Detected
recursive loop").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import warnings


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dag_folder")
    parser.add_argument("--ignore-syntax", choices=["regexp", "glob"], required=True)
    args = parser.parse_args(argv)
    home = tempfile.mkdtemp(prefix="flowc-airflow-home-")
    for name in list(os.environ):
        if name.startswith("AIRFLOW__") or name == "AIRFLOW_CONFIG":
            del os.environ[name]
    os.environ["AIRFLOW_HOME"] = home
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "ERROR"
    os.environ["AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX"] = args.ignore_syntax
    warnings.simplefilter("ignore")
    try:
        from airflow.utils.file import list_py_file_paths

        folder = os.path.abspath(args.dag_folder)
        try:
            paths = list_py_file_paths(folder, safe_mode=True)
        except RuntimeError as error:
            print(f"dag_files.py: {error}", file=sys.stderr)
            return 1
        print(json.dumps(sorted(os.path.relpath(path, folder) for path in paths)))
        return 0
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
