"""The run store: the on-disk batch layout (`format`), reading it (`reader`), writing it
with one lock and ordered writes (`runstore`), and crash-safe file writes (`atomic`)."""
