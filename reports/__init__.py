"""The published compatibility report: known registries measured by real runs of the suite.

``python -m reports.regenerate`` brings each column's target up, runs the suite against it, keeps
one results document per column under ``reports/results/`` and renders ``index.html``,
``matrix.md`` and the generated parts of ``README.md`` from them.
"""
