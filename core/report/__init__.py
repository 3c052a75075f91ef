"""The contact sheet: a self-contained HTML page rendered from the run store (`sheet`)."""
