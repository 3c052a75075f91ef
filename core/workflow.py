"""The API-format workflow model and parameter paths.

A workflow is ComfyUI's API ("prompt") format: ``{node_id: {"class_type",
"inputs", "_meta"?}}`` with string node ids, including subgraph ids such as
``"75:58"`` produced by the current frontend. An input whose value is a list is
a link ``[source_node_id, output_slot]`` (ComfyUI treats every list input as a
link); anything else is a literal, and literals are what a sweep can vary.

A UI-format (graph) workflow, as ComfyUI saves it, is converted on
construction when the server's ``/object_info`` is given (core/uiformat, the
way the frontend's ``graphToPrompt`` does); the original graph stays on
``Workflow.ui_graph`` for ``extra_pnginfo`` and "Load into graph".

A parameter path addresses one literal input:

* ``nodes.57.inputs.cfg``                      canonical form (what the analyzer prints)
* ``nodes.KSampler.inputs.cfg``                a unique ``_meta.title`` instead of the id
* ``nodes."Load Checkpoint".inputs.ckpt_name``  quoted, for titles with dots or spaces

Titles survive re-exports while ids often do not; an id always wins over a
title, and an ambiguous or missing title is an error naming the candidates.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import WorkflowError
from .objectinfo import ObjectInfo
from .textfile import read_user_file
from .uiformat import convert_ui_workflow, is_ui_workflow

UI_FORMAT_MESSAGE = (
    "this is a UI-format workflow: converting it needs the server's node definitions "
    "(give --server ADDR, or --object-info FILE saved from GET /object_info), "
    "or export it with File → Export (API)"
)

# The UI graph beside a batch's workflow.json (client and server batches alike).
UI_WORKFLOW_FILE = "ui_workflow.json"

# A bare node segment cannot contain a dot, quote or whitespace; anything else is quoted.
_BARE_SEGMENT = re.compile(r'[^."\s]+')
_QUOTED_SEGMENT = re.compile(r'"((?:[^"\\]|\\.)*)"')


def quote_segment(text: str) -> str:
    """The node segment of a path: bare when it can be, else double-quoted with escapes."""
    if _BARE_SEGMENT.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_path(node: str, input_name: str) -> str:
    """``nodes.<node>.inputs.<input>``, quoting the node segment when needed."""
    return f"nodes.{quote_segment(node)}.inputs.{input_name}"


def parse_path(path: str) -> tuple[str, str]:
    """Split a parameter path into (node segment, input name); the segment is unquoted."""
    if not isinstance(path, str) or not path.startswith("nodes."):
        raise WorkflowError(
            f"bad parameter path {path!r}: expected nodes.<id or title>.inputs.<input>"
        )
    rest = path[len("nodes.") :]
    quoted = _QUOTED_SEGMENT.match(rest)
    if quoted:
        node = re.sub(r"\\(.)", r"\1", quoted.group(1))
        rest = rest[quoted.end() :]
    else:
        node, _, tail = rest.partition(".")
        rest = "." + tail if tail else ""
    if not node or not rest.startswith(".inputs.") or len(rest) == len(".inputs."):
        raise WorkflowError(
            f"bad parameter path {path!r}: expected nodes.<id or title>.inputs.<input>"
            ' (quote titles that contain dots or spaces: nodes."My title".inputs.cfg)'
        )
    return node, rest[len(".inputs.") :]


@dataclass(frozen=True)
class InputRef:
    """One literal input of one node."""

    node_id: str
    input_name: str

    @property
    def path(self) -> str:
        """Canonical ``nodes.<id>.inputs.<name>``."""
        return format_path(self.node_id, self.input_name)


def is_link(value: object) -> bool:
    """ComfyUI treats every list input as a link ``[node_id, slot]``."""
    return isinstance(value, list)


class Workflow:
    """An API-format workflow, validated on construction (see module docstring)."""

    def __init__(self, prompt: dict[str, dict[str, Any]], source: str = "<workflow>") -> None:
        self.prompt = prompt
        self.source = source
        self._depth: dict[str, int] = {}
        self.ui_graph: dict[str, Any] | None = None  # the UI-format original, if converted
        self.notes: list[str] = []  # what the conversion wants the user to know

    # ---- construction -------------------------------------------------
    @classmethod
    def from_data(
        cls, data: object, source: str = "<workflow>", object_info: ObjectInfo | None = None
    ) -> Workflow:
        """Validate API-format data, or convert UI-format data with ``object_info``
        (the one place that decides); WorkflowError (prefixed with ``source``) otherwise."""
        if is_ui_workflow(data):
            return cls._from_ui(data, source, object_info)
        if not isinstance(data, dict) or not data:
            raise WorkflowError(
                f"{source}: not an API-format workflow (expected a JSON object of nodes)"
            )
        prompt: dict[str, dict[str, Any]] = {}
        for node_id, node in data.items():
            prompt[str(node_id)] = _check_node(str(node_id), node, source)
        wf = cls(copy.deepcopy(prompt), source)
        wf._check_links()
        cycle = wf.find_cycle()
        if cycle:
            raise WorkflowError(
                f"{source}: the workflow has a cycle through nodes {' -> '.join(cycle)}"
            )
        return wf

    @classmethod
    def _from_ui(cls, data: Any, source: str, object_info: ObjectInfo | None) -> Workflow:
        if object_info is None:
            raise WorkflowError(f"{source}: {UI_FORMAT_MESSAGE}")
        conversion = convert_ui_workflow(data, object_info.data, source=source)
        wf = cls.from_data(conversion.prompt, source)
        wf.ui_graph = conversion.ui_graph
        wf.notes = conversion.notes
        return wf

    def _check_links(self) -> None:
        for node_id, node in self.prompt.items():
            for name, value in node["inputs"].items():
                if not is_link(value):
                    continue
                if len(value) != 2:
                    raise WorkflowError(
                        f"{self.source}: node {node_id} input {name!r} is a malformed link "
                        f"{value!r} (expected [node_id, slot])"
                    )
                if str(value[0]) not in self.prompt:
                    raise WorkflowError(
                        f"{self.source}: node {node_id} input {name!r} links to node "
                        f"{value[0]!r}, which is not in the workflow"
                    )

    # ---- graph ----------------------------------------------------------
    def sources_of(self, node_id: str) -> list[str]:
        """Ids of the nodes that feed ``node_id`` through links."""
        inputs = self.prompt[node_id]["inputs"].values()
        return [str(v[0]) for v in inputs if is_link(v)]

    def find_cycle(self) -> list[str] | None:
        """A list of node ids forming a cycle (first id repeated at the end), or None."""
        state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
        for start in self.prompt:
            if state.get(start):
                continue
            stack: list[tuple[str, Iterator[str]]] = [(start, iter(self.sources_of(start)))]
            state[start] = 1
            while stack:
                node, children = stack[-1]
                child = next(children, None)
                if child is None:
                    state[node] = 2
                    stack.pop()
                elif state.get(child) == 1:
                    path = [n for n, _ in stack]
                    return [*path[path.index(child) :], child]
                elif not state.get(child):
                    state[child] = 1
                    stack.append((child, iter(self.sources_of(child))))
        return None

    def upstream_depth(self, node_id: str) -> int:
        """Longest path (in links) from a source node to ``node_id``; sources are 0."""
        if node_id not in self.prompt:
            raise WorkflowError(f"{self.source}: no node {node_id!r} in the workflow")
        order = self._topological_from(node_id)
        for node in order:  # dependencies first, so every source is already known
            if node not in self._depth:
                parents = self.sources_of(node)
                self._depth[node] = 1 + max(self._depth[p] for p in parents) if parents else 0
        return self._depth[node_id]

    def _topological_from(self, node_id: str) -> list[str]:
        """Ancestors of node_id (and itself) in dependency order; acyclic by construction."""
        order: list[str] = []
        seen: set[str] = set()
        stack: list[tuple[str, bool]] = [(node_id, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in self.sources_of(node) if p not in seen)
        return order

    # ---- nodes and inputs ---------------------------------------------------
    def title(self, node_id: str) -> str | None:
        meta = self.prompt[node_id].get("_meta")
        title = meta.get("title") if isinstance(meta, dict) else None
        return title if isinstance(title, str) else None

    def class_type(self, node_id: str) -> str:
        return str(self.prompt[node_id]["class_type"])

    def _describe(self, node_id: str) -> str:
        title = self.title(node_id)
        name = f"{title!r}, {self.class_type(node_id)}" if title else self.class_type(node_id)
        return f"{node_id} ({name})"

    def _node_for(self, segment: str, path: str, field: str | None) -> str:
        if segment in self.prompt:  # an id always wins over a title
            return segment
        matches = [n for n in self.prompt if self.title(n) == segment]
        if len(matches) == 1:
            return matches[0]
        if matches:
            listed = ", ".join(self._describe(n) for n in matches)
            raise WorkflowError(
                f"{self.source}: {path}: title {segment!r} is ambiguous: nodes {listed}; "
                "use the node id instead",
                field=field,
                details={"candidates": matches},
            )
        listed = ", ".join(self._describe(n) for n in self.prompt)
        raise WorkflowError(
            f"{self.source}: {path}: no node with id or title {segment!r}; nodes are {listed}",
            field=field,
            details={"candidates": list(self.prompt)},
        )

    def resolve(self, path: str, *, field: str | None = None) -> InputRef:
        """The literal input a path addresses; WorkflowError naming node and inputs otherwise."""
        try:
            segment, input_name = parse_path(path)
        except WorkflowError as err:
            raise WorkflowError(f"{self.source}: {err.message}", field=field) from None
        node_id = self._node_for(segment, path, field)
        inputs = self.prompt[node_id]["inputs"]
        literal = sorted(k for k, v in inputs.items() if not is_link(v))
        if input_name not in inputs or is_link(inputs[input_name]):
            why = "is linked from another node" if input_name in inputs else "does not exist"
            raise WorkflowError(
                f"{self.source}: {path}: input {input_name!r} of node {self._describe(node_id)} "
                f"{why}; its literal inputs are: {', '.join(literal) or '(none)'}",
                field=field,
                details={"node_id": node_id, "literal_inputs": literal},
            )
        return InputRef(node_id, input_name)

    def get(self, ref: InputRef) -> Any:
        return self.prompt[ref.node_id]["inputs"][ref.input_name]

    def literal_inputs(self) -> Iterator[tuple[InputRef, Any]]:
        """Every literal input of every node, in workflow order."""
        for node_id, node in self.prompt.items():
            for name, value in node["inputs"].items():
                if not is_link(value):
                    yield InputRef(node_id, name), value

    def apply(self, values: Mapping[InputRef, Any]) -> dict[str, dict[str, Any]]:
        """A deep copy of the prompt with the given inputs set."""
        prompt = copy.deepcopy(self.prompt)
        for ref, value in values.items():
            if ref.node_id not in prompt:
                raise WorkflowError(f"{self.source}: no node {ref.node_id!r} in the workflow")
            prompt[ref.node_id]["inputs"][ref.input_name] = value
        return prompt

    def to_json(self) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self.prompt)


def _check_node(node_id: str, node: object, source: str) -> dict[str, Any]:
    if not isinstance(node, dict):
        raise WorkflowError(f"{source}: node {node_id} is not an object")
    if not isinstance(node.get("class_type"), str) or not node["class_type"]:
        raise WorkflowError(f"{source}: node {node_id} has no class_type")
    if not isinstance(node.get("inputs"), dict):
        raise WorkflowError(f"{source}: node {node_id} ({node['class_type']}) has no inputs object")
    return node


@dataclass(frozen=True)
class WorkflowFile:
    """A workflow file read and parsed, not yet validated: a UI-format one needs
    ``/object_info`` to become a Workflow, which may come later (from the server)."""

    data: Any
    source: str

    @property
    def is_ui(self) -> bool:
        return is_ui_workflow(self.data)

    def load(self, object_info: ObjectInfo | None = None) -> Workflow:
        return Workflow.from_data(self.data, self.source, object_info)


def read_workflow_file(path: str | Path) -> WorkflowFile:
    """Read a workflow file's JSON; WorkflowError names the file."""
    p = Path(path)
    text = read_user_file(p, "workflow", WorkflowError)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise WorkflowError(
            f"{p}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
        ) from None
    return WorkflowFile(data, str(p))


def load_workflow(path: str | Path, object_info: ObjectInfo | None = None) -> Workflow:
    """Read and validate a workflow file (UI format needs ``object_info``); WorkflowError names the file."""
    return read_workflow_file(path).load(object_info)


__all__ = [
    "UI_FORMAT_MESSAGE",
    "UI_WORKFLOW_FILE",
    "InputRef",
    "Workflow",
    "WorkflowFile",
    "format_path",
    "is_link",
    "load_workflow",
    "parse_path",
    "quote_segment",
    "read_workflow_file",
]
