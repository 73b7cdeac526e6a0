"""Re-creations of what the reference did, measured beside our code by `make bench`.

Each module says what it re-creates and where it is conservative (kinder to the reference than the
reference was). The modules that import pandas, langchain-community or litellm need `.venv-bench`
(requirements/bench.txt); the others need only the runtime packages.
"""
