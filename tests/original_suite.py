"""Examples from the original suite's README, verbatim (tests/unit/test_config.py
checks them against the README when ../shared is there)."""

README_LORA = """\
workflow_file: video_wan2_2_14B_flf2v.json
sampling_strategy: linear
num_samples: 10  # Ignored for linear strategy
seeds_per_sample: 5  # 5 variations per strength value

parameters:
  lora_high_strength:
    path: nodes.91.inputs.strength_model
    type: linear
    min: 0.5
    max: 3.0
    step: 0.5
    # Results in: 0.5, 1.0, 1.5, 2.0, 2.5, 3.0

  lora_low_strength:
    path: nodes.92.inputs.strength_model
    type: linear
    min: 0.5
    max: 3.0
    step: 0.5

  seed:
    path: nodes.57.inputs.noise_seed
    type: random_seed  # Auto-generated per run
"""
