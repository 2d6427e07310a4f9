"""The resolve stage: the definition and the stack's settings, checked and turned into each
component's arguments before any resource is declared (``stack.prepare`` is the entry)."""
