// @ts-check
// Commands and their default keybindings (the `commands`/`keybindings`
// fields of app.registerExtension). They show in Settings → Keybinding, where
// users can rebind them. Alt+S / Alt+Shift+S are free in the bundled frontend
// (1.32.9) and in the newest one (1.58.1), and not reserved by browsers. On
// macOS, Option changes the key ("ß"), so Mac users bind their own there.
import { exploreNodes } from "./sidebar/newSweepActions.js";
import { openSweepTab, selectedNodes, toast } from "./sidebar/comfy.js";

export const OPEN_PANEL = "comfy-sweep.openPanel";
export const EXPLORE_SELECTED = "comfy-sweep.exploreSelected";

async function exploreSelected() {
  if (!(await exploreNodes(selectedNodes()))) {
    toast("info", "Nothing to explore", "Select a node with a number or list widget first.");
  }
}

export const COMMANDS = [
  { id: OPEN_PANEL, label: "Open the Sweep panel", icon: "pi pi-sliders-h", function: openSweepTab },
  { id: EXPLORE_SELECTED, label: "Explore the selected node's parameters", icon: "pi pi-sliders-h",
    tooltip: "A new sweep over every number and list widget of the selected nodes", function: exploreSelected },
];

export const KEYBINDINGS = [
  { commandId: OPEN_PANEL, combo: { key: "s", alt: true } },
  { commandId: EXPLORE_SELECTED, combo: { key: "s", alt: true, shift: true } },
];
