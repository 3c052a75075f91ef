"""Legacy group nodes (``workflow>Name`` types defined in ``extra.groupNodes``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import WorkflowError
from .model import Document

GROUP_PREFIXES = ("workflow>", "workflow/")


def expand_group_nodes(doc: Document, object_info: Mapping[str, Any]) -> Document:
    for graph in [doc.root, *doc.subgraphs.values()]:
        for node in graph.nodes.values():
            if node.type.startswith(GROUP_PREFIXES) and node.type not in object_info:
                raise WorkflowError(f"group node {node.id} ({node.type}) is not supported yet")
    return doc
