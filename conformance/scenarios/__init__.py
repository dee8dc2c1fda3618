"""The scenarios: one module per group of features, shipped in the package.

Run them with ``pytest --pyargs conformance.scenarios --registry-uri=URI`` or
``registry-conformance --registry-uri=URI``.
"""
