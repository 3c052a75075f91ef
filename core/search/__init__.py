"""Adaptive search (``sampling_strategy: adaptive``): the space, the trials, the run source."""
