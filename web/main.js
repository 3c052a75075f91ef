// comfy-sweep frontend: thin entry point (registration only); the panel lives
// in sidebar/, the node menu in menu.js, server calls in lib/api.js.
import { app } from "../../scripts/app.js";
import { api } from "../../scripts/api.js";
import { nodeMenuItems } from "./menu.js";
import { destroyPanel, renderPanel } from "./sidebar/panel.js";
import { onProgress, refreshSweeps } from "./sidebar/sweepActions.js";
import { listenForSheets } from "./sidebar/sheetLink.js";

app.registerExtension({
  name: "comfy-sweep",
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
    api.addEventListener("comfy-sweep.progress", (e) => onProgress(e.detail));
    api.addEventListener("reconnected", () => refreshSweeps());
    listenForSheets(); // "Load into graph" from a contact sheet tab
  },
  getNodeMenuItems(node) {
    return nodeMenuItems(node);
  },
});
