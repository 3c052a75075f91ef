"""``sampling_strategy: adaptive`` as the sweeps run it: the Optuna TPE proposer
(the ``comfy-sweep[adaptive]`` extra) and the wiring of the run source
(core/search/source.py) to a session's store and live scorer."""
