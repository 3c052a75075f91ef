"""The analyzer's input-set suggestion: which inputs of a workflow a set folder
can fill (text prompts, image/video/audio loaders), named after what they feed,
and the ready-to-paste ``files:`` block of the ``inputs:`` section
(docs/config.md, "Input sets"). cr-analyze prints it for any workflow with
loaders; cr-batch prints it when an ``inputs:``/``shots:`` section names no files.
"""

from __future__ import annotations

from dataclasses import dataclass

from .workflow import InputRef, Workflow, format_path, is_link

MEDIA_EXT = {
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".webp": "image", ".bmp": "image",
    ".gif": "image", ".tif": "image", ".tiff": "image",
    ".mp4": "video", ".webm": "video", ".mov": "video", ".mkv": "video", ".avi": "video",
    ".m4v": "video", ".wav": "audio", ".mp3": "audio", ".flac": "audio", ".ogg": "audio",
    ".m4a": "audio",
}  # fmt: skip
TEXT_EXT = (".txt", ".md", ".prompt")
_LOADER_INPUTS = {"image": ".png", "video": ".mp4", "audio": ".wav", "file": ".mp4"}
_TEXT_INPUTS = ("text", "prompt", "text_g", "text_l", "positive", "negative")
# The original suite's shot folders hold first_frame.png and last_frame.png.
_STEMS = {"start_image": "first_frame", "end_image": "last_frame"}


@dataclass(frozen=True)
class InputCandidate:
    """One input a set file can fill."""

    file_name: str  # suggested file name in each set folder
    path: str  # nodes.<id>.inputs.<name>
    kind: str  # text | image | video | audio
    describe: str  # class type, title and current value


def _consumer_input(workflow: Workflow, node_id: str) -> str | None:
    """The name of the first input (in node order) that takes this node's output."""
    for nid in sorted(workflow.prompt, key=_id_key):
        for name, value in workflow.prompt[nid].get("inputs", {}).items():
            if is_link(value) and str(value[0]) == node_id:
                return str(name)
    return None


def _id_key(node_id: str) -> tuple[int, str]:
    return (int(node_id), "") if node_id.isdigit() else (1 << 60, node_id)


def _loader_kind(name: str, value: object) -> str | None:
    if not isinstance(value, str) or name not in _LOADER_INPUTS:
        return None
    dot = value.rfind(".")
    return MEDIA_EXT.get(value[dot:].lower()) if dot >= 0 else None


def _file_name(workflow: Workflow, ref: InputRef, kind: str, ext: str) -> str:
    feeds = _consumer_input(workflow, ref.node_id)
    if kind == "text":
        stem = "negative_prompt" if feeds == "negative" else "prompt"
    else:
        plain = feeds is None or feeds in ("image", "images", "pixels", "video", "audio")
        stem = f"{kind}_{ref.node_id}" if plain else _STEMS.get(str(feeds), str(feeds))
    return stem + ext


def suggest_input_files(workflow: Workflow) -> list[InputCandidate]:
    """Text prompts and media loaders, each with a file name unique in the set folder."""
    found: list[InputCandidate] = []
    taken: set[str] = set()
    for nid in sorted(workflow.prompt, key=_id_key):
        node = workflow.prompt[nid]
        for name, value in node.get("inputs", {}).items():
            media = _loader_kind(str(name), value)
            is_text = name in _TEXT_INPUTS and isinstance(value, str) and media is None
            if media is None and not is_text:
                continue
            kind = media or "text"
            ref = InputRef(nid, str(name))
            ext = TEXT_EXT[0] if is_text else _ext_of(str(value))
            file_name = _unique(_file_name(workflow, ref, kind, ext), taken)
            title = workflow.title(nid)
            shown = " ".join(str(value).split())[:40]
            describe = f"{node.get('class_type')}{f' {title!r}' if title else ''}: {shown!r}"
            found.append(InputCandidate(file_name, format_path(nid, str(name)), kind, describe))
    return found


def _ext_of(value: str) -> str:
    return value[value.rfind(".") :].lower()


def _unique(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{stem}_{n}{dot}{ext}", n + 1
    taken.add(candidate)
    return candidate


def files_block(candidates: list[InputCandidate], indent: str = "  ") -> str:
    """The ``files:`` block to paste under ``inputs:``, one comment per line."""
    lines = [f"{indent}files:"]
    for c in candidates:
        lines.append(f"{indent}  {c.file_name}: {c.path}  # {c.kind}: {c.describe}")
    return "\n".join(lines)


def has_loaders(candidates: list[InputCandidate]) -> bool:
    return any(c.kind != "text" for c in candidates)
