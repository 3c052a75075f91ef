import { test } from "node:test";
import assert from "node:assert/strict";
import { SweepApiError } from "../../web/lib/api.js";
import { UPLOAD_SUBFOLDER, referenceFromUpload, uploadReference } from "../../web/lib/referenceUpload.js";

// A stand-in for ComfyUI's api.fetchApi that records what it was sent.
function fakeUpload(status, answer, statusText = "") {
  const calls = [];
  const fn = async (route, init) => {
    calls.push({ route, init });
    return new Response(answer === undefined ? "" : JSON.stringify(answer), { status, statusText });
  };
  return { fn, calls };
}

test("the reference names the uploaded file as LoadImage's widget does", () => {
  assert.equal(referenceFromUpload({ name: "ref.png", subfolder: "comfy-sweep", type: "input" }), "comfy-sweep/ref.png [input]");
  // ComfyUI renames a different file with the same name: the answer's name wins.
  assert.equal(referenceFromUpload({ name: "ref (1).png", subfolder: "comfy-sweep", type: "input" }), "comfy-sweep/ref (1).png [input]");
  assert.equal(referenceFromUpload({ name: "ref.png", subfolder: "" }), "ref.png [input]");
  assert.throws(() => referenceFromUpload({ subfolder: "comfy-sweep" }), /names no file/);
  assert.throws(() => referenceFromUpload(null), SweepApiError);
});

test("uploadReference posts the file to /upload/image in comfy-sweep/ of the input folder", async () => {
  const { fn, calls } = fakeUpload(200, { name: "clip.mp4", subfolder: UPLOAD_SUBFOLDER, type: "input" });
  const file = new File([new Uint8Array([1, 2, 3])], "clip.mp4", { type: "video/mp4" });
  assert.equal(await uploadReference(fn, file), "comfy-sweep/clip.mp4 [input]");
  assert.equal(calls.length, 1);
  const { route, init } = calls[0];
  assert.equal(route, "/upload/image");
  assert.equal(init.method, "POST");
  assert.ok(init.body instanceof FormData);
  assert.equal(init.headers, undefined); // the browser sets the multipart boundary
  assert.equal(init.body.get("subfolder"), "comfy-sweep");
  assert.equal(init.body.get("type"), "input");
  const sent = init.body.get("image");
  assert.equal(sent.name, "clip.mp4");
  assert.deepEqual([...new Uint8Array(await sent.arrayBuffer())], [1, 2, 3]);
});

test("a refused upload (ComfyUI's bare 400) is a SweepApiError naming the file", async () => {
  const { fn } = fakeUpload(400, undefined, "Bad Request");
  const file = new File(["x"], "../evil.png");
  await assert.rejects(uploadReference(fn, file), (err) => {
    assert.ok(err instanceof SweepApiError);
    assert.equal(err.status, 400);
    assert.equal(err.code, "upload_refused");
    assert.equal(err.message, "ComfyUI refused the upload of ../evil.png (400 Bad Request)");
    return true;
  });
});
