"""A pytest run of the suite, in pieces: its options, the start (targets, preflight, outputs),
the state of one process, the recording of scenario outcomes, the hand-off between xdist's
controller and workers, the end (cleanup, document, gate, files) and the terminal summary;
and what a run does against a registry: preflight, the probe and its refusal vocabulary, stalls,
the ledger of created entities and its sweep, the registry lock, HTTP evidence and latency.

``options`` is imported by the pytest11 entry point of every pytest run: it stays light; the
rest is imported only by runs that use the suite."""
