"""A sweep's life: its states and transitions (`lifecycle`), which batch a rerun
continues (`select`), one session over a store (`session`) and the routes' typed
wire contract (`wire`)."""
