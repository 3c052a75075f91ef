// @ts-check
// comfy-sweep frontend: thin entry point (registration only); the panel lives
// in sidebar/, the node menu in menu.js, commands in commands.js, settings in
// lib/settings.js, server calls in lib/api.js.
import { app } from "../../scripts/app.js";
import { api } from "../../scripts/api.js";
import { COMMANDS, KEYBINDINGS } from "./commands.js";
import { nodeMenuItems } from "./menu.js";
import { SETTINGS } from "./lib/settings.js";
import { DOCS_URL, VERSION } from "./lib/version.js";
import { destroyPanel, renderPanel } from "./sidebar/panel.js";
import { onProgress, refreshSweeps } from "./sidebar/sweepActions.js";
import { listenForSheets } from "./sidebar/sheetLink.js";
import { onServerEvent } from "./sidebar/comfy.js";
import { refreshExplorations } from "./sidebar/explorations.js";

/** @typedef {import("@comfyorg/comfyui-frontend-types").ComfyExtension} ComfyExtension */
/** @typedef {NonNullable<ComfyExtension["settings"]>} SettingList */

app.registerExtension({
  name: "comfy-sweep",
  // The types name only core setting ids; ours are namespaced "comfy-sweep.*".
  settings: /** @type {SettingList} */ (/** @type {unknown} */ (SETTINGS)),
  commands: COMMANDS,
  keybindings: KEYBINDINGS,
  aboutPageBadges: [{ label: `comfy-sweep v${VERSION}`, url: DOCS_URL, icon: "pi pi-sliders-h" }],
  setup() {
    app.extensionManager.registerSidebarTab({
      id: "comfy-sweep",
      icon: "pi pi-sliders-h",
      title: "Sweep",
      tooltip: "Parameter sweeps",
      type: "custom",
      render: renderPanel,
      destroy: destroyPanel,
    });
    onServerEvent("comfy-sweep.progress", (e) => onProgress(e.detail));
    onServerEvent("comfy-sweep.exploration", () => refreshExplorations());
    api.addEventListener("reconnected", () => refreshSweeps());
    listenForSheets(); // "Load into graph" from a contact sheet tab
  },
  getNodeMenuItems(node) {
    return nodeMenuItems(node);
  },
});
