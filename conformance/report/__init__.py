"""Reports of a results document: one view model (``model``) rendered as HTML, Markdown and the
terminal's matrix, with the documented columns beside the measured ones. Reads documents only;
never runs anything."""
