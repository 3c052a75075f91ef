"""UI-format (graph) workflows converted to the API format, as ComfyUI's frontend does.

    convert_ui_workflow(data, object_info_data) -> Conversion(prompt, ui_graph, notes)
    is_ui_workflow(data) -> bool

Modules: model (parsing), nodedefs (what /object_info makes of a node type),
instances (nodes as loaded), subgraphs (promoted widgets), primitives,
textvalues (dynamic prompts, %date% replacements), flatten (links, reroutes,
bypass, subgraph ids), groupnodes, convert (graphToPrompt), load (the one
decision "UI format? convert with this object_info").
"""

from .convert import Conversion, convert_ui_workflow
from .model import is_ui_workflow

__all__ = ["Conversion", "convert_ui_workflow", "is_ui_workflow"]
