"""comfyui.priority and comfyui.api: validated in the config, with the key and
line named; background queue numbers stay above ComfyUI's counter and grow."""

from __future__ import annotations

import pytest
from comfy_sweep.core.config.load import config_to_dict, parse_config
from comfy_sweep.core.errors import ConfigError
from comfy_sweep.core.queue_priority import BACKGROUND_BASE, BackgroundNumbers

YAML = "workflow_file: w.json\ncomfyui:\n  server_address: 127.0.0.1:8188\n  {key}: {value}\n"


def test_priority_and_api_parse_case_insensitively_and_round_trip() -> None:
    cfg = parse_config(YAML.format(key="priority", value="Background"), source="c.yaml")
    assert cfg.comfyui.priority == "background" and cfg.comfyui.api == "comfyui"
    assert parse_config(config_to_dict(cfg)).comfyui.priority == "background"
    v2 = parse_config(YAML.format(key="api", value="v2"), source="c.yaml")
    assert v2.comfyui.api == "v2" and config_to_dict(v2)["comfyui"]["api"] == "v2"


def test_unset_priority_stays_unset_so_each_caller_picks_its_default() -> None:
    cfg = parse_config("workflow_file: w.json\n", source="c.yaml")
    assert cfg.comfyui.priority is None
    assert "priority" not in config_to_dict(cfg)["comfyui"]
    assert "api" not in config_to_dict(cfg)["comfyui"]  # the default is left out


@pytest.mark.parametrize(
    ("key", "value", "hint"),
    [("priority", "backgrund", "did you mean 'background'"), ("api", "v3", "allowed: comfyui, v2")],
)
def test_a_bad_value_names_key_line_and_choices(key: str, value: str, hint: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(YAML.format(key=key, value=value), source="c.yaml")
    assert err.value.message.startswith(f"c.yaml:4: comfyui.{key}: unknown value")
    assert hint in err.value.message


def test_background_numbers_grow_above_the_counter_and_stay_exact_floats() -> None:
    numbers = BackgroundNumbers()
    taken = [numbers.next() for _ in range(1000)]
    assert taken == sorted(set(taken))  # strictly increasing, even within one microsecond
    assert all(BACKGROUND_BASE < n < 2**53 and float(n) == n for n in taken)
    assert (
        BackgroundNumbers().next() > taken[0]
    )  # a resumed sweep queues behind its adopted prompts
