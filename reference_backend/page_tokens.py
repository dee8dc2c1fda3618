"""MLflow's offset page tokens (``base64({"offset": N})``) read without crashing on junk.

The tracking store pages runs, experiments, metric history and logged models with
``SearchUtils.paginate``, as MLflow's own stores do. MLflow's token parser turns most malformed
tokens into ``INVALID_PARAMETER_VALUE`` but lets others escape as ``AttributeError`` or
``TypeError`` (a token decoding to ``[]`` or ``{"offset": []}``), which a server answers with an
HTML 500; a negative offset would page from the end. Every malformed token is refused here.
"""

from __future__ import annotations

from typing import Any, TypeVar

from mlflow.exceptions import MlflowException
from mlflow.utils.search_utils import SearchUtils

T = TypeVar("T")


def start_offset(page_token: str | None) -> int:
    """Where the page of ``page_token`` starts (0 without a token)."""
    try:
        offset = SearchUtils.parse_start_offset_from_page_token(page_token)
    except MlflowException:
        raise
    except (AttributeError, TypeError, ValueError) as error:
        raise MlflowException.invalid_parameter_value(
            f"Invalid page token {page_token!r}: not an offset token"
        ) from error
    if offset < 0:
        raise MlflowException.invalid_parameter_value(
            f"Invalid page token {page_token!r}: negative offset {offset}"
        )
    return offset


def paginate(items: list[T], page_token: str | None, max_results: int) -> tuple[list[T], Any]:
    """``SearchUtils.paginate`` after checking the token."""
    start_offset(page_token)
    return SearchUtils.paginate(items, page_token, max_results)
