// @ts-check
// What the About panel's badge shows. tests/unit/test_web_meta.py keeps
// VERSION equal to pyproject.toml's and DOCS_URL inside the project's URLs.
export const VERSION = "0.1.0";
export const DOCS_URL = "https://github.com/comfy-sweep/comfy-sweep#readme";
