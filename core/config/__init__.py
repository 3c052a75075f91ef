"""The sweep config: the model (`model`), YAML loading (`load`), validation against a
workflow and object_info (`validate`) and the analyzer's config template (`template`)."""
