"""The Sweep panel in a real browser (Playwright + Debian's Chromium) against
the real ComfyUI with comfy-sweep loaded, on the bundled frontend (1.32.9) and
on the newest one from PyPI served with --front-end-root (tests/e2e/frontend_page.py).

End to end: load examples/image_noise_blur.json, right-click the Blur node's
sigma widget -> "Explore parameter ▸ sigma" -> the form opens prefilled ->
queue; then build a two-parameter grid from the graph, queue it, watch it
reach done, open its contact sheet, load a run back into the graph.
Also: the panel's text contrast in the dark and light palettes, the menu on
Nodes 2.0 (Vue nodes, newer frontends only), and a sweep over nodes inside a subgraph
whose run list gains thumbnails live and whose run loads into the inner
widgets. Panel screenshots go to test-artifacts/frontend/. No console error
may come from our code.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from frontend_page import ARTIFACTS, TAB_BUTTON, open_ui, set_setting
from frontend_page import shot as _shot

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.comfy

SWEEP_TIMEOUT_MS = 180_000


def widget_point(page: Any, node_id: int, widget: str) -> tuple[float, float]:
    """Client coordinates of a widget of a node on the litegraph canvas."""
    return tuple(
        page.evaluate(  # type: ignore[return-value]
            """([id, name]) => {
          const app = window.comfyAPI.app.app;
          const node = app.graph.getNodeById(id);
          const w = node.widgets.find((x) => x.name === name);
          const rect = app.canvas.canvas.getBoundingClientRect();
          const y = w.y ?? w.last_y;
          const [cx, cy] = app.canvas.ds.convertOffsetToCanvas([node.pos[0] + 40, node.pos[1] + y + 8]);
          return [rect.left + cx, rect.top + cy];
        }""",
            [node_id, widget],
        )
    )


def widget_value(page: Any, node_id: int, widget: str) -> Any:
    return page.evaluate(
        "([id, n]) => window.comfyAPI.app.app.graph.getNodeById(id).widgets.find((w) => w.name === n).value",
        [node_id, widget],
    )


def enabled_paths(page: Any) -> set[str]:
    rows = page.locator(".comfy-sweep-param.comfy-sweep-on")
    return {rows.nth(i).get_attribute("data-path") for i in range(rows.count())}


def wait_sweep_done(page: Any, count: int) -> Any:
    cards = page.locator(".comfy-sweep-card")
    page.wait_for_function(
        f"() => document.querySelectorAll('.comfy-sweep-card').length >= {count}"
    )
    first = cards.first  # newest first
    page.wait_for_function(
        "() => document.querySelector('.comfy-sweep-card')?.dataset.state === 'done'",
        timeout=SWEEP_TIMEOUT_MS,
    )
    return first


def explore_flow(page: Any, label: str) -> None:
    x, y = widget_point(page, 3, "sigma")
    page.mouse.click(x, y, button="right")
    page.locator(".litemenu-entry", has_text="Explore parameter").click()
    submenu = page.locator(".litecontextmenu").last.locator(".litemenu-entry")
    assert submenu.all_inner_texts()[:2] == ["sigma", "blur_radius"]  # right-clicked widget first
    submenu.first.click()
    focused = page.locator(".comfy-sweep-focused[data-path='nodes.3.inputs.sigma']")
    focused.wait_for(timeout=90_000)
    assert enabled_paths(page) == {"nodes.3.inputs.sigma", "nodes.2.inputs.seed"}
    assert focused.locator("[data-field=min]").input_value() != ""
    plan = page.locator(
        ".comfy-sweep-plan[data-plan-state=ok], .comfy-sweep-plan[data-plan-state=error]"
    )
    plan.wait_for(timeout=90_000)  # two shared cores: the first /plan can be slow
    assert plan.get_attribute("data-plan-state") == "ok", plan.inner_text()
    _shot(page.locator(".comfy-sweep-panel"), label, "explore-form")
    page.locator("[data-sweep-action=queue]").click()  # the one button
    wait_sweep_done(page, 1)


def set_row(page: Any, path: str, type_: str, fields: dict[str, str]) -> None:
    row = page.locator(f".comfy-sweep-param[data-path='{path}']")
    row.locator("select").select_option(type_)
    for name, value in fields.items():
        page.locator(f".comfy-sweep-param[data-path='{path}'] [data-field={name}]").fill(value)


def two_parameter_flow(page: Any, label: str, before: int) -> None:
    page.locator("[data-sweep-action=new]").click()
    page.locator(".comfy-sweep-param").first.wait_for(timeout=30_000)
    wanted = {"nodes.2.inputs.strength", "nodes.3.inputs.blur_radius"}
    for path in enabled_paths(page) ^ wanted:  # toggle what differs
        page.locator(f".comfy-sweep-param[data-path='{path}'] input[type=checkbox]").click()
    assert enabled_paths(page) == wanted
    page.locator(".comfy-sweep-settings select").select_option("grid")
    set_row(page, "nodes.2.inputs.strength", "values", {"values": "0.2, 0.6"})
    set_row(page, "nodes.3.inputs.blur_radius", "linear", {"min": "1", "max": "5", "step": "4"})
    total = page.locator(".comfy-sweep-total")
    playwright_api.expect(total).to_contain_text("Planned: 4 runs", timeout=90_000)
    _shot(page.locator(".comfy-sweep-panel"), label, "two-parameter-form")
    yaml_round_trip(page, label)
    page.locator("[data-sweep-action=queue]").click()
    card = wait_sweep_done(page, before + 1)
    playwright_api.expect(card.locator(".comfy-sweep-progress")).to_contain_text("4/4 done")
    _shot(page.locator(".comfy-sweep-panel"), label, "sweep-done")
    check_contact_sheet(page, card, label)
    check_load_into_graph(page, card)


def yaml_round_trip(page: Any, label: str) -> None:
    """Export the form as cr-batch YAML, import it back: the same plan."""
    with page.expect_download() as download:
        page.locator("[data-sweep-action=export]").click()
    path = ARTIFACTS / f"{label}-sweep.yaml"
    download.value.save_as(path)
    text = path.read_text()
    assert "sampling_strategy: grid" in text and "nodes.3.inputs.blur_radius" in text
    assert "workflow_file: sweep_api.json" in text
    page.locator(".comfy-sweep-settings select").select_option("random")
    page.locator("[data-sweep-action=import-file]").set_input_files(str(path))
    playwright_api.expect(page.locator(".comfy-sweep-settings select")).to_have_value("grid")
    playwright_api.expect(page.locator(".comfy-sweep-total")).to_contain_text("Planned: 4 runs")


def check_contact_sheet(page: Any, card: Any, label: str) -> None:
    with page.context.expect_page() as popup:
        card.locator("[data-sweep-action=contact-sheet]").click()
    sheet = popup.value
    sheet.wait_for_load_state()
    assert "contact_sheet.html" in sheet.url
    html = sheet.content()
    assert "blur_radius" in html and "strength" in html
    _shot(sheet, label, "contact-sheet")
    sheet.close()


def check_load_into_graph(page: Any, card: Any) -> None:
    page.evaluate(
        "() => { const n = window.comfyAPI.app.app.graph.getNodeById(2);"
        " n.widgets.find((w) => w.name === 'strength').value = 0.99 }"
    )
    card.locator("[data-sweep-action=runs]").click()
    runs = page.locator(".comfy-sweep-run")
    runs.first.wait_for(timeout=15_000)
    assert runs.count() == 4
    runs.first.locator("[data-sweep-action=load-run]").click()
    page.wait_for_function(
        "() => window.comfyAPI.app.app.graph.getNodeById(2).widgets"
        ".find((w) => w.name === 'strength').value !== 0.99"
    )
    assert widget_value(page, 2, "strength") in (0.2, 0.6)
    assert widget_value(page, 3, "blur_radius") in (1, 5)


def test_sweep_panel_end_to_end(
    browser: Any, ui_server: Any, request: pytest.FixtureRequest
) -> None:
    label = request.node.callspec.id
    before = len(ui_server.get_json("/comfy-sweep/sweeps")["sweeps"])
    page, console = open_ui(browser, ui_server)
    try:
        page.locator(TAB_BUTTON).first.click()
        page.locator(".comfy-sweep-panel").wait_for()
        _shot(page, label, "panel-open")
        explore_flow(page, label)
        two_parameter_flow(page, label, before + 1)
        _shot(page, label, "full-window")
        assert console.ours() == []
    except Exception:
        _shot(page, label, "failure")  # for the reviewer: what the panel showed
        print("\n".join(console.lines[-40:]))
        raise
    finally:
        page.close()


def test_version_route_answers_for_the_panel(comfy_server: Any) -> None:
    with urllib.request.urlopen(comfy_server.url + "/api/comfy-sweep/version", timeout=10) as r:
        info = json.loads(r.read())
    assert info["name"] == "comfy-sweep"
    assert "sweeps" in info["capabilities"]


# WCAG contrast of each visible element's text colour against the first
# opaque background behind it; colours are normalised through a 1x1 canvas so
# any CSS colour syntax (hex, rgb, color-mix) compares alike.
CONTRAST_JS = r"""(sel) => {
  const ctx = Object.assign(document.createElement('canvas'), { width: 1, height: 1 })
    .getContext('2d', { willReadFrequently: true });
  const rgba = (c) => { ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = '#000'; ctx.fillStyle = c;
    ctx.fillRect(0, 0, 1, 1); const d = ctx.getImageData(0, 0, 1, 1).data; return [d[0], d[1], d[2], d[3] / 255]; };
  const bgOf = (el) => { for (let e = el; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor); if (c[3] > 0.5) return c; } return [255, 255, 255, 1]; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  return [...document.querySelectorAll(sel)].filter((e) => e.offsetParent && e.textContent.trim() && !e.disabled)
    .map((e) => { const [hi, lo] = [lum(rgba(getComputedStyle(e).color)), lum(bgOf(e))].sort((a, b) => b - a);
      return { text: e.textContent.trim().slice(0, 30), cls: e.className, ratio: (hi + 0.05) / (lo + 0.05) }; });
}"""
MAIN_LABELS = ", ".join(
    f".comfy-sweep-panel {s}"
    for s in (".comfy-sweep-param-name", ".comfy-sweep-field > span", ".comfy-sweep-group > summary",
              ".comfy-sweep-btn", ".comfy-sweep-total", ".comfy-sweep-muted", ".comfy-sweep-input",
              ".comfy-sweep-name", ".comfy-sweep-badge", ".comfy-sweep-error", ".comfy-sweep-warn")
)  # fmt: skip


def test_panel_readable_in_dark_and_light(
    browser: Any, ui_server: Any, request: pytest.FixtureRequest
) -> None:
    label = request.node.callspec.id
    page, console = open_ui(browser, ui_server)
    try:
        page.locator(TAB_BUTTON).first.click()
        page.locator("[data-sweep-action=new]").click()
        page.locator(".comfy-sweep-param").first.wait_for(timeout=60_000)
        backgrounds = {}
        for palette in ("dark", "light"):
            set_setting(page, "Comfy.ColorPalette", palette)
            page.wait_for_function(
                "(p) => window.comfyAPI.app.app.extensionManager.setting.get('Comfy.ColorPalette') === p",
                arg=palette,
            )
            page.wait_for_timeout(300)  # the palette's CSS variables apply on the next frame
            _shot(page.locator(".comfy-sweep-panel"), label, f"{palette}-panel")
            backgrounds[palette] = page.evaluate(
                "() => getComputedStyle(document.querySelector('.comfy-sweep-panel')).backgroundColor"
            )
            measured = page.evaluate(CONTRAST_JS, MAIN_LABELS)
            assert len(measured) >= 10, measured  # names, fields, buttons, groups were found
            poor = [m for m in measured if m["ratio"] < 4.5]
            assert poor == [], f"{palette}: low contrast {poor}"
        assert backgrounds["dark"] != backgrounds["light"]  # the panel follows the palette
        assert console.ours() == []
    finally:
        set_setting(page, "Comfy.ColorPalette", "dark")
        page.close()


def test_explore_parameter_on_vue_nodes(
    browser: Any, ui_server: Any, request: pytest.FixtureRequest
) -> None:
    label = request.node.callspec.id
    if label == "bundled":
        pytest.skip(
            "frontend 1.32.9: the Vue node menu (useMoreOptionsMenu) has no extension items"
        )
    page, console = open_ui(browser, ui_server, **{"Comfy.VueNodes.Enabled": True})
    try:
        blur = page.locator("[data-node-id='3']").first
        blur.wait_for(timeout=30_000)  # drawn as a Vue component, not on the canvas
        # On the sigma row; the canvas's graph_mouse does not follow the pointer
        # over Vue nodes, so the submenu keeps widget order there (docs/frontend.md).
        blur.get_by_text("sigma", exact=True).click(button="right")
        # By role: a PrimeVue .p-contextmenu on 1.53.x, a reka-ui menu on 1.58.x.
        page.get_by_role("menuitem", name="Explore parameter", exact=True).hover()
        item = page.get_by_role("menuitem", name="sigma", exact=True)
        item.wait_for()
        _shot(page, label, "vue-nodes-menu")
        # Chosen with the keyboard: on 1.58.x a pointer move from the parent
        # item to the submenu (which opens to its left) closes the submenu.
        item.focus()
        page.keyboard.press("Enter")  # the Vue menu calls the callback with no arguments
        focused = page.locator(".comfy-sweep-focused[data-path='nodes.3.inputs.sigma']")
        focused.wait_for(timeout=90_000)
        assert enabled_paths(page) == {"nodes.3.inputs.sigma", "nodes.2.inputs.seed"}
        assert focused.locator("[data-field=min]").input_value() != ""
        _shot(page, label, "vue-nodes-explore-form")
        assert console.ours() == []
    finally:
        page.close()


INNER = """([path, name, value]) => {
  const app = window.comfyAPI.app.app;
  let graph = app.rootGraph ?? app.graph, node = null;
  for (const id of path.split(':')) {
    node = graph.getNodeById(id) ?? graph.getNodeById(Number(id));
    graph = node.subgraph;
  }
  const w = node.widgets.find((x) => x.name === name);
  if (value !== null) w.value = value;
  return w.value;
}"""


def convert_to_subgraph(page: Any, ids: list[int]) -> str:
    """What "Convert to Subgraph" does; returns the new subgraph node's id."""
    return str(
        page.evaluate(
            "(ids) => { const g = window.comfyAPI.app.app.graph;"
            " return g.convertToSubgraph(new Set(ids.map((i) => g.getNodeById(i)))).node.id }",
            ids,
        )
    )


def explore_inner_node(page: Any, sub: str) -> None:
    """Our menu item for the Blur node inside the subgraph (what a right-click
    there returns) opens the form on the flattened API id, "<sub>:3"."""
    page.evaluate(
        """(sub) => { const app = window.comfyAPI.app.app;
          const inner = app.graph.getNodeById(sub).subgraph;
          const node = inner.getNodeById('3') ?? inner.getNodeById(3);
          const ext = app.extensions.find((e) => e.name === 'comfy-sweep');
          const [item] = ext.getNodeMenuItems(node);
          item.submenu.options.find((o) => o.content === 'sigma').callback(); }""",
        sub,
    )
    focused = page.locator(f".comfy-sweep-focused[data-path*='{sub}:3'][data-path$='.sigma']")
    focused.wait_for(timeout=60_000)
    assert len(enabled_paths(page)) == 2  # sigma and the seed


def test_subgraph_sweep_runs_thumbnails_and_load(
    browser: Any, ui_server: Any, request: pytest.FixtureRequest
) -> None:
    label = request.node.callspec.id
    before = len(ui_server.get_json("/comfy-sweep/sweeps")["sweeps"])
    page, console = open_ui(browser, ui_server)
    try:
        sub = convert_to_subgraph(page, [2, 3])
        explore_inner_node(page, sub)
        strength = f".comfy-sweep-param[data-path*='{sub}:2'][data-path$='.strength']"
        radius = f".comfy-sweep-param[data-path*='{sub}:3'][data-path$='.blur_radius']"
        wanted = {page.locator(strength).get_attribute("data-path"),
                  page.locator(radius).get_attribute("data-path")}  # fmt: skip
        for path in enabled_paths(page) ^ wanted:
            page.locator(f".comfy-sweep-param[data-path='{path}'] input[type=checkbox]").click()
        page.locator(".comfy-sweep-settings select").select_option("grid")
        page.locator(strength).locator("select").select_option("values")
        page.locator(f"{strength} [data-field=values]").fill("0.2, 0.6")
        page.locator(radius).locator("select").select_option("values")
        page.locator(f"{radius} [data-field=values]").fill("1, 5")
        total = page.locator(".comfy-sweep-total")
        playwright_api.expect(total).to_contain_text("Planned: 4 runs", timeout=90_000)
        page.locator("[data-sweep-action=queue]").click()
        page.wait_for_function(
            f"() => document.querySelectorAll('.comfy-sweep-card').length >= {before + 1}"
        )
        # Open the run list while the sweep runs: thumbnails do not exist yet;
        # they must appear without another click once the server writes them.
        page.locator(".comfy-sweep-card").first.locator("[data-sweep-action=runs]").click()
        card = wait_sweep_done(page, before + 1)
        page.wait_for_function(
            "() => document.querySelectorAll('.comfy-sweep-card:first-child .comfy-sweep-run img').length === 4",
            timeout=30_000,
        )
        _shot(page.locator(".comfy-sweep-panel"), label, "subgraph-runs")
        page.evaluate(INNER, [f"{sub}:2", "strength", 0.99])
        card.locator(".comfy-sweep-run").first.locator("[data-sweep-action=load-run]").click()
        page.wait_for_function(f"() => ({INNER})(['{sub}:2', 'strength', null]) !== 0.99")
        assert page.evaluate(INNER, [f"{sub}:2", "strength", None]) in (0.2, 0.6)
        assert page.evaluate(INNER, [f"{sub}:3", "blur_radius", None]) in (1, 5)
        assert console.ours() == []
    except Exception:
        _shot(page, label, "subgraph-failure")
        print("\n".join(console.lines[-40:]))
        raise
    finally:
        page.close()
