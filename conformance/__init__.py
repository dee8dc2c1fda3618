"""registry-conformance: the executable support matrix of MLflow-compatible model registries."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("registry-conformance")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"
