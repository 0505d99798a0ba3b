"""``python -m search.cli``: the same as the ``archive-search`` console script."""

from search.cli import run

run()
