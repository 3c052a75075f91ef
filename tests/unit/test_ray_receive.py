"""The driver's side of a Ray worker's outputs (raycluster/backend.py ``_receive``):
inline bytes and files in shared storage arrive with their checksum; a damaged file
is refused and leaves nothing behind; shared storage the driver cannot read is a
config error naming ray.shared_dir."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from comfy_sweep.core.errors import BackendError, ConfigError
from comfy_sweep.raycluster.backend import _receive
from comfy_sweep.raycluster.worker import OutputFile

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def shared(root: Path, name: str, data: bytes) -> Path:
    path = root / "shared" / "3f2a" / name
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return path


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_inline_and_shared_outputs_arrive_checked(tmp_path: Path) -> None:
    src = shared(tmp_path, "b.png", PNG[::-1])
    files = [
        OutputFile("a.png", digest(PNG), len(PNG), data=PNG),
        OutputFile("b.png", digest(PNG[::-1]), len(PNG), shared=str(src)),
    ]
    got = _receive(files, tmp_path / "run")
    assert [p.read_bytes() for p in got] == [PNG, PNG[::-1]]
    assert not src.parent.exists()  # the shared copy is removed once received
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["a.png", "b.png"]


@pytest.mark.parametrize("inline", [True, False])
def test_a_damaged_output_is_refused(tmp_path: Path, inline: bool) -> None:
    damaged = PNG[:100] + b"\x00" + PNG[101:]
    if inline:
        f = OutputFile("a.png", digest(PNG), len(PNG), data=damaged)
    else:
        f = OutputFile(
            "a.png", digest(PNG), len(PNG), shared=str(shared(tmp_path, "a.png", damaged))
        )
    with pytest.raises(BackendError, match="a.png arrived damaged"):
        _receive([f], tmp_path / "run")
    assert list((tmp_path / "run").iterdir()) == []  # neither the file nor its .part
    assert not (tmp_path / "shared" / "3f2a").exists()


def test_shared_storage_the_driver_cannot_read(tmp_path: Path) -> None:
    f = OutputFile("a.png", digest(PNG), len(PNG), shared=str(tmp_path / "elsewhere" / "a.png"))
    with pytest.raises(ConfigError) as err:
        _receive([f], tmp_path / "run")
    assert err.value.field == "ray.shared_dir"
