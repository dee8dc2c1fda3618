"""How a scenario marks which call is the feature under test and which calls only set the stage.

The distinction decides the outcome (DESIGN.md, "Verdicts"), from the kind of answer
(``conformance.run.refusals``):

=================  =============================  ============================  ===================
answer             to the call under test         to a prerequisite             after acceptance
=================  =============================  ============================  ===================
refusal            ``Unsupported``                ``Unsupported``, naming the   ``NonConformant``
                   (``NonConformant`` if it       prerequisite
                   changed the state)
entity             ``NonConformant``: it          ``Inconclusive``: the         ``NonConformant``
                   contradicts what the scenario  prerequisite broke
                   has just observed
auth, transport    ``Inconclusive``               ``Inconclusive``              ``Inconclusive``
malformed          ``NonConformant``              ``Inconclusive``              ``NonConformant``
=================  =============================  ============================  ===================

"After acceptance" is a step that uses what the registry has just accepted (a consumer loads or
downloads the version it took): the operation was offered, so no answer there means "not
offered"; every answer but a good one is a wrong one, except those that allow no verdict.

Faults are final: once a call under test answered wrongly, every later use of the probe in that
scenario raises the fault again, so no retry through the probe can turn it into a pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from conformance.masking import mask_text
from conformance.run import credentials, http_exchanges
from conformance.run.refusals import Classification, Kind, classify

_EXCHANGES_KEPT = 3


class Unsupported(pytest.skip.Exception):
    """The call under test, or a prerequisite, was cleanly refused: "this is not offered".

    pytest counts it as a skip (exit codes stay those of skips); the suite counts it as
    ``unsupported``, by its type, wherever it is raised.
    """

    # As pytest's own Skipped: the terminal then reads "Unsupported: <reason>", not a module path.
    __module__ = "builtins"


class Inconclusive(Exception):
    """No verdict can be drawn: transport or auth trouble, or a prerequisite broke."""


class NonConformant(AssertionError):
    """The registry answered, but wrongly (a 500, a malformed body, a refusal that left state)."""


def answer_status(exchanges: list[dict[str, Any]]) -> int | None:
    """The HTTP status of the last answer recorded, if it was an error answer."""
    status = exchanges[-1].get("status") if exchanges else None
    return status if isinstance(status, int) and status >= 400 else None


class Probe:
    """Wraps the calls of one scenario and keeps the evidence behind its outcome."""

    def __init__(self) -> None:
        self.evidence: list[dict[str, Any]] = []
        #: The first wrong answer to a call under test; it decides the scenario.
        self.fault: AssertionError | None = None
        http_exchanges.install()  # the status of an answer is part of what it means

    @contextmanager
    def feature(self, call: str, *, state: Callable[[], object] | None = None) -> Iterator[None]:
        """The operation under test.

        ``state`` reads whatever the call could have changed; it is read before and after a
        refusal, because a refusal that leaves partial state behind is a failure, not a refusal.
        """
        self._raise_fault()
        before = self._read_state(call, state) if state is not None else None
        started = time.time()
        try:
            with http_exchanges.recording() as exchanges:
                yield
        except (pytest.skip.Exception, Inconclusive):
            raise
        except AssertionError as exc:
            self.fault = self.fault or exc
            raise
        except Exception as exc:
            answer = judged(exc, exchanges, started)
            self._record(call, "feature", exc, answer.kind.value, exchanges)
            if answer.kind in (Kind.TRANSPORT, Kind.AUTH):
                # `from None`: the transport error's own text may carry a URI with credentials.
                raise Inconclusive(no_verdict(call, answer)) from None
            if (
                answer.kind is Kind.REFUSAL
                and state is not None
                and state_changed(state, before, self._read_state(call, state))
            ):
                self._fail(f"{call} was refused ({answer.reason}) but changed the state", exc)
            if answer.kind is Kind.REFUSAL:
                raise Unsupported(f"{call}: {answer.reason}") from exc
            if answer.kind is Kind.ENTITY:
                self._fail(
                    f"{call} answered {answer.reason}, about entities this scenario has just "
                    "created or observed",
                    exc,
                )
            self._fail(f"{call} answered malformed: {answer.reason}", exc)

    @contextmanager
    def prerequisite(self, what: str) -> Iterator[None]:
        """A step the scenario needs but does not judge (creating the model it works on, ...)."""
        self._raise_fault()
        started = time.time()
        try:
            with http_exchanges.recording() as exchanges:
                yield
        except (pytest.skip.Exception, Inconclusive, NonConformant):
            raise
        except AssertionError as exc:
            self._record(what, "prerequisite", exc, "assertion", exchanges)
            raise Inconclusive(mask_text(f"prerequisite {what} broke: {exc}")) from exc
        except Exception as exc:
            answer = judged(exc, exchanges, started)
            self._record(what, "prerequisite", exc, answer.kind.value, exchanges)
            if answer.kind is Kind.REFUSAL:
                raise Unsupported(f"prerequisite {what} refused: {answer.reason}") from exc
            if answer.kind in (Kind.TRANSPORT, Kind.AUTH):
                raise Inconclusive(no_verdict(f"prerequisite {what}", answer)) from None
            raise Inconclusive(mask_text(f"prerequisite {what} broke: {answer.reason}")) from exc

    @contextmanager
    def after_acceptance(self, call: str, *, accepted: str) -> Iterator[None]:
        """A step that uses what the registry has just accepted (``accepted`` names it, for the
        reason): never ``Unsupported``; ``Inconclusive`` on transport and auth, else a fault."""
        self._raise_fault()
        started = time.time()
        try:
            with http_exchanges.recording() as exchanges:
                yield
        except (Inconclusive, NonConformant):
            raise
        except AssertionError as exc:
            self.fault = self.fault or exc
            raise
        except Unsupported as exc:  # from a role nested inside: offered all the same
            self._fail(f"the registry accepted {accepted}, but {call} was refused: {exc.msg}", exc)
        except Exception as exc:
            answer = judged(exc, exchanges, started)
            self._record(call, "after-acceptance", exc, answer.kind.value, exchanges)
            if answer.kind in (Kind.TRANSPORT, Kind.AUTH):
                raise Inconclusive(no_verdict(call, answer)) from None
            self._fail(f"the registry accepted {accepted}, but {call} got: {answer.reason}", exc)

    def judged_without(
        self, what: str, exc: BaseException, exchanges: list[dict[str, Any]]
    ) -> None:
        """Keep in the evidence that ``what``, a step the scenario can do without, was cleanly
        refused (``exc``, answered through ``exchanges``): the scenario was judged without it."""
        self._record(what, "best-effort", exc, Kind.REFUSAL.value, exchanges)

    def _read_state(self, call: str, state: Callable[[], object]) -> object:
        """A read the scenario needs to judge a refusal, not the call under test: a prerequisite
        (refused, the scenario is unsupported; no answer, inconclusive)."""
        with self.prerequisite(f"reading what {call} could change"):
            return state()

    def _fail(self, message: str, exc: BaseException) -> None:
        fault = NonConformant(message)
        self.fault = self.fault or fault
        raise fault from exc

    def _raise_fault(self) -> None:
        if self.fault is not None:
            raise NonConformant(f"decided by an earlier wrong answer: {self.fault}")

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


def state_changed(state: Callable[[], object], before: object, after: object) -> bool:
    """Whether ``after``, ``state`` read after a refused call, shows a change from ``before``. A
    state that held part of ``before`` instead of reading it judges that itself (its
    ``changed``): what a registry answers to a write may show less than a read of the same
    entity, and such a difference is no change."""
    judge = getattr(state, "changed", None)
    return bool(judge(before, after)) if judge is not None else before != after


def judged(exc: BaseException, exchanges: list[dict[str, Any]], since: float) -> Classification:
    """What ``exc`` means: the kind of its answer, unless a request made since ``since`` met a
    fault that leaves nothing to judge; then whatever MLflow's client raised of it (its artifact
    repositories answer a failed download with "no such path") is no answer: ``transport``."""
    answer = classify(exc, answer_status(exchanges))
    if answer.kind in (Kind.TRANSPORT, Kind.AUTH):
        return answer
    faults = http_exchanges.path_faults_between(since, time.time())
    if not faults:
        return answer
    return Classification(
        Kind.TRANSPORT,
        f"a request met a fault on the way ({faults[0]}); the client then said: {answer.reason}",
    )


def no_verdict(what: str, answer: Classification) -> str:
    """Why an answer allows no verdict; for auth, which credentials were sent."""
    if answer.kind is Kind.AUTH:
        return mask_text(f"{what}: {answer.reason} ({credentials.hint()})")
    return mask_text(f"{what}: {answer.reason}")
