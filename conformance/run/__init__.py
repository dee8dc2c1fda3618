"""A pytest run of the suite, in pieces: its options, the start (targets, preflight, outputs),
the state of one process, the recording of scenario outcomes, the hand-off between xdist's
controller and workers, the end (cleanup, document, gate, files) and the terminal summary.

``options`` is imported by the pytest11 entry point of every pytest run: it stays light; the
rest is imported only by runs that use the suite."""
