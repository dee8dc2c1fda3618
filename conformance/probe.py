"""How a scenario marks which call is the feature under test and which calls only set the stage.

The distinction decides the verdict (DESIGN.md, "Verdicts"): a clean refusal of the call under
test makes the scenario ``unsupported``; a clean refusal of a prerequisite makes it
``unsupported`` with a reason naming the prerequisite; any other trouble in a prerequisite makes
it ``error``; a wrong answer anywhere makes it ``failed``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from conformance import http_exchanges
from conformance.outcomes import UNSUPPORTED_PREFIX
from conformance.refusals import Kind, classify
from conformance.targets import mask_text

_EXCHANGES_KEPT = 3


class Inconclusive(Exception):
    """No verdict can be drawn: transport trouble, or a prerequisite broke in an unclean way."""


class NonConformant(AssertionError):
    """The registry answered, but wrongly (a 500, a malformed body, a refusal that left state)."""


class Probe:
    """Wraps the calls of one scenario and keeps the evidence behind its outcome."""

    def __init__(self) -> None:
        self.evidence: list[dict[str, Any]] = []

    @contextmanager
    def feature(self, call: str, *, state: Callable[[], object] | None = None) -> Iterator[None]:
        """The operation under test.

        ``state`` reads whatever the call could have changed; it is read before and after a
        refusal, because a refusal that leaves partial state behind is a failure, not a refusal.
        """
        before = state() if state is not None else None
        try:
            with http_exchanges.recording() as exchanges:
                yield
        except (pytest.skip.Exception, Inconclusive, AssertionError):
            raise
        except Exception as exc:
            verdict = classify(exc)
            self._record(call, "feature", exc, verdict.kind.value, exchanges)
            if verdict.kind is Kind.TRANSPORT:
                # `from None`: the transport error's own text may carry a URI with credentials.
                raise Inconclusive(mask_text(f"{call}: {verdict.reason}")) from None
            if verdict.kind is Kind.MALFORMED:
                raise NonConformant(f"{call} answered malformed: {verdict.reason}") from exc
            if state is not None:
                after = state()
                if after != before:
                    raise NonConformant(
                        f"{call} was refused ({verdict.reason}) but changed state: "
                        f"{before!r} -> {after!r}"
                    ) from exc
            pytest.skip(f"{UNSUPPORTED_PREFIX}{call}: {verdict.reason}")

    @contextmanager
    def prerequisite(self, what: str) -> Iterator[None]:
        """A step the scenario needs but does not judge (creating the model it works on, ...)."""
        try:
            with http_exchanges.recording() as exchanges:
                yield
        except (pytest.skip.Exception, Inconclusive):
            raise
        except Exception as exc:
            verdict = classify(exc) if not isinstance(exc, AssertionError) else None
            kind = verdict.kind.value if verdict else "assertion"
            self._record(what, "prerequisite", exc, kind, exchanges)
            if verdict is not None and verdict.kind is Kind.REFUSAL:
                pytest.skip(f"{UNSUPPORTED_PREFIX}prerequisite {what} refused: {verdict.reason}")
            reason = verdict.reason if verdict else str(exc)
            failure = Inconclusive(mask_text(f"prerequisite {what} broke: {reason}"))
            if verdict is not None and verdict.kind is Kind.TRANSPORT:
                raise failure from None  # its text may carry a URI with credentials
            raise failure from exc

    def _record(
        self,
        call: str,
        role: str,
        exc: BaseException,
        kind: str,
        exchanges: list[dict[str, Any]],
    ) -> None:
        entry: dict[str, Any] = {
            "call": call,
            "role": role,
            "classified_as": kind,
            "exception": mask_text(f"{type(exc).__name__}: {exc}")[:2000],
        }
        if exchanges:  # the last ones: the failing request, not the reads that preceded it
            entry["http"] = exchanges[-_EXCHANGES_KEPT:]
        self.evidence.append(entry)
