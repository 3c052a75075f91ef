"""comfy-sweep as a native part of ComfyUI's UI, in a real browser on the
bundled frontend (1.32.9) and the newest one: its settings in the settings
dialog set the new-sweep form's defaults, its notifications follow the
"Show notifications" setting, its keybindings open the panel and explore the
selected node, and the About panel shows its badge. Screenshots of the
settings and the About panel go to test-artifacts/frontend/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from comfy_harness import REPO
from frontend_page import open_ui, shot

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.comfy

EXPECT = playwright_api.expect
VERSION_JS = (REPO / "web" / "lib" / "version.js").read_text(encoding="utf-8")
VERSION = re.search(r'VERSION = "([^"]+)"', VERSION_JS)[1]  # type: ignore[index]
DOCS_URL = re.search(r'DOCS_URL = "([^"]+)"', VERSION_JS)[1]  # type: ignore[index]
SETTING_NAMES = ["Default strategy", "Samples", "Seeds per sample", "Queue window",
                 "Show notifications"]  # fmt: skip


def open_settings(page: Any, section: str) -> Any:
    """The settings dialog (as Ctrl+, opens it) on one section of its nav."""
    page.evaluate(
        "() => window.comfyAPI.app.app.extensionManager.command.execute('Comfy.ShowSettingsDialog')"
    )
    dialog = page.locator("[role=dialog]").filter(has_text="Settings").last
    dialog.get_by_text(section, exact=True).first.click()
    return dialog


def setting_value(page: Any, key: str) -> Any:
    return page.evaluate("(k) => window.comfyAPI.app.app.extensionManager.setting.get(k)", key)


def wait_setting(page: Any, key: str, value: Any) -> None:
    page.wait_for_function(
        "([k, v]) => window.comfyAPI.app.app.extensionManager.setting.get(k) === v",
        arg=[key, value],
    )


def type_number(dialog: Any, setting_id: str, value: int) -> None:
    """A number field of the dialog (a slider's too), typed as a user does."""
    row = dialog.locator(f".setting-item:has([id='{setting_id}-label'])")
    field = row.locator("input[role=spinbutton]")
    field.click()
    field.press("Control+a")
    field.press_sequentially(str(value))  # key by key: PrimeVue's InputNumber parses keystrokes
    field.press("Tab")  # the value is committed on blur


def close_dialog(page: Any) -> None:
    page.keyboard.press("Escape")
    page.locator("[role=dialog]").filter(has_text="Settings").wait_for(state="hidden")


def test_settings_dialog_sets_the_form_defaults(
    browser: Any, ui_server: Any, request: pytest.FixtureRequest
) -> None:
    label = request.node.callspec.id
    page, console = open_ui(browser, ui_server)
    try:
        dialog = open_settings(page, "comfy-sweep")
        for name in SETTING_NAMES:
            EXPECT(dialog.get_by_text(name, exact=True)).to_be_visible()
        shot(dialog, label, "settings-dialog")
        dialog.locator("[id='comfy-sweep.DefaultStrategy']").click()
        page.get_by_role("option", name="random", exact=True).click()
        wait_setting(page, "comfy-sweep.DefaultStrategy", "random")
        type_number(dialog, "comfy-sweep.Samples", 5)
        wait_setting(page, "comfy-sweep.Samples", 5)
        type_number(dialog, "comfy-sweep.QueueWindow", 2)
        wait_setting(page, "comfy-sweep.QueueWindow", 2)
        shot(dialog, label, "settings-dialog-changed")
        close_dialog(page)
        page.keyboard.press("Alt+s")  # the openPanel keybinding
        page.locator("[data-sweep-action=new]").click()
        page.locator(".comfy-sweep-plan[data-plan-state=ok]").wait_for(timeout=90_000)
        settings = page.locator(".comfy-sweep-settings")
        EXPECT(settings.locator("select")).to_have_value("random")
        EXPECT(settings.locator("[data-field=num_samples]")).to_have_value("5")
        EXPECT(settings.locator("[data-field=queue_window]")).to_have_value("2")
        EXPECT(page.locator(".comfy-sweep-total")).to_contain_text("Planned: 5 runs")
        assert console.ours() == []
    except Exception:
        shot(page, label, "settings-failure")
        raise
    finally:
        page.close()


def title_point(page: Any, node_id: int) -> tuple[float, float]:
    """Client coordinates of a node's title bar on the litegraph canvas."""
    return tuple(
        page.evaluate(  # type: ignore[return-value]
            """(id) => { const app = window.comfyAPI.app.app;
              const node = app.graph.getNodeById(id);
              const rect = app.canvas.canvas.getBoundingClientRect();
              const [x, y] = app.canvas.ds.convertOffsetToCanvas([node.pos[0] + 40, node.pos[1] - 12]);
              return [rect.left + x, rect.top + y]; }""",
            node_id,
        )
    )


def enabled_paths(page: Any, selector: str = ".comfy-sweep-param.comfy-sweep-on") -> set[str]:
    rows = page.locator(selector)
    return {rows.nth(i).get_attribute("data-path") for i in range(rows.count())}


def test_keybindings_open_the_panel_and_explore_the_selected_node(
    browser: Any, ui_server: Any, request: pytest.FixtureRequest
) -> None:
    label = request.node.callspec.id
    page, console = open_ui(browser, ui_server)
    try:
        commands = page.evaluate(
            "() => window.comfyAPI.app.app.extensionManager.command.commands"
            ".filter((c) => c.id.startsWith('comfy-sweep.')).map((c) => c.id)"
        )
        assert sorted(commands) == ["comfy-sweep.exploreSelected", "comfy-sweep.openPanel"]
        page.keyboard.press("Alt+Shift+S")  # nothing selected: says so, opens nothing
        hint = page.get_by_text("Select a node with a number or list widget first.")
        EXPECT(hint.first).to_be_visible()  # newer toasts repeat it in an aria-live region
        assert page.locator(".comfy-sweep-panel").count() == 0
        page.keyboard.press("Alt+s")
        page.locator(".comfy-sweep-panel").wait_for()
        x, y = title_point(page, 3)  # the Blur node
        page.mouse.click(x, y)
        page.wait_for_function("() => !!window.comfyAPI.app.app.canvas.selected_nodes[3]")
        page.keyboard.press("Alt+Shift+S")
        page.locator(".comfy-sweep-focused").first.wait_for(timeout=90_000)
        assert enabled_paths(page, ".comfy-sweep-focused") == {
            "nodes.3.inputs.blur_radius",
            "nodes.3.inputs.sigma",
        }
        assert enabled_paths(page) == {
            "nodes.3.inputs.blur_radius",
            "nodes.3.inputs.sigma",
            "nodes.2.inputs.seed",
        }
        shot(page, label, "explore-selected")
        assert console.ours() == []
    except Exception:
        shot(page, label, "keybinding-failure")
        raise
    finally:
        page.close()


def test_about_panel_shows_the_badge(
    browser: Any, ui_server: Any, request: pytest.FixtureRequest
) -> None:
    label = request.node.callspec.id
    page, console = open_ui(browser, ui_server)
    try:
        dialog = open_settings(page, "About")
        badge = dialog.get_by_role("link", name=f"comfy-sweep v{VERSION}")
        EXPECT(badge).to_be_visible()
        assert badge.get_attribute("href") == DOCS_URL
        shot(dialog, label, "about-badge")
        assert console.ours() == []
    finally:
        page.close()


# Records every toast text that appears, whichever component draws it.
WATCH_TOASTS = """() => { window.__sweepToasts = [];
  new MutationObserver(() => { for (const t of ['Sweep queued', 'Sweep done'])
    if (document.body.innerText.includes(t) && !window.__sweepToasts.includes(t)) window.__sweepToasts.push(t);
  }).observe(document.body, { childList: true, subtree: true, characterData: true }); }"""


def queue_one_run(page: Any) -> None:
    """A one-run sweep (random, one sample) from the graph, run to the end."""
    before = page.locator(".comfy-sweep-card").count()
    page.locator("[data-sweep-action=new]").click()
    EXPECT(page.locator(".comfy-sweep-total")).to_contain_text("Planned: 1 run", timeout=90_000)
    page.locator("[data-sweep-action=queue]").click()
    page.wait_for_function(
        f"() => document.querySelectorAll('.comfy-sweep-card').length > {before}"
        " && document.querySelector('.comfy-sweep-card').dataset.state === 'done'",
        timeout=180_000,
    )
    page.wait_for_timeout(500)  # the end-of-sweep toast follows the last event


def test_notifications_follow_the_setting(
    browser: Any, ui_server: Any, request: pytest.FixtureRequest
) -> None:
    label = request.node.callspec.id
    page, console = open_ui(
        browser, ui_server, **{"comfy-sweep.DefaultStrategy": "random", "comfy-sweep.Samples": 1}
    )
    try:
        dialog = open_settings(page, "comfy-sweep")
        dialog.get_by_role("switch", name="Show notifications").click()
        wait_setting(page, "comfy-sweep.Toasts", False)
        close_dialog(page)
        page.keyboard.press("Alt+s")
        page.evaluate(WATCH_TOASTS)
        queue_one_run(page)
        assert page.evaluate("() => window.__sweepToasts") == []
        page.evaluate(
            "() => window.comfyAPI.app.app.extensionManager.setting.set('comfy-sweep.Toasts', true)"
        )
        queue_one_run(page)
        # A one-run sweep may end (websocket) before the POST's answer shows "queued".
        toasts = page.evaluate("() => window.__sweepToasts")
        assert sorted(toasts) == ["Sweep done", "Sweep queued"]
        assert console.ours() == []
    except Exception:
        shot(page, label, "notifications-failure")
        raise
    finally:
        page.close()
