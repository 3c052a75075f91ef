// What ComfyUI serves at /scripts/app.js (the public shim), typed by the
// frontend's published types. web/jsconfig.json's rootDirs lay this folder
// over the served layout, so "../../scripts/app.js" in web/ resolves here.
import type { ComfyApp } from "@comfyorg/comfyui-frontend-types";

export declare const app: ComfyApp;
