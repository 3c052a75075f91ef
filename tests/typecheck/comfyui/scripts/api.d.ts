// What ComfyUI serves at /scripts/api.js (see app.d.ts).
import type { ComfyApi } from "@comfyorg/comfyui-frontend-types";

export declare const api: ComfyApi;
