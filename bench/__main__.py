"""Run every benchmark: ``make bench`` or ``.venv/bin/python -m bench``."""

import importlib.util
import runpy
import sys

for name in ("bench.polls", "bench.printables"):
    if importlib.util.find_spec(name) is None:
        continue
    print(f"==== {name}", flush=True)
    sys.argv = [name]
    runpy.run_module(name, run_name="__main__")
