// Reads QR codes from the camera: the browser's BarcodeDetector where it exists, else the vendored jsQR.
const SAME_CODE_PAUSE_MS = 3000;

function loadJsQr() {
  if (window.jsQR) return Promise.resolve(window.jsQR);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/assets/vendor/jsqr/jsQR.js";
    script.onload = () => resolve(window.jsQR);
    script.onerror = reject;
    document.head.append(script);
  });
}

async function frameReader(video) {
  if ("BarcodeDetector" in window) {
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    return async () => (await detector.detect(video))[0]?.rawValue;
  }
  const jsQR = await loadJsQr();
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async () => {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0);
    return jsQR(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height)?.data;
  };
}

/** Start the camera and call onCode with each new code read; returns a function that stops it. */
export async function scanFrames(video, onCode) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  video.srcObject = stream;
  await video.play();
  const read = await frameReader(video);
  let running = true;
  let last = { text: null, at: 0 };
  const loop = async () => {
    if (!running) return;
    const text = video.readyState >= 2 ? await read().catch(() => undefined) : undefined;
    if (text && (text !== last.text || Date.now() - last.at > SAME_CODE_PAUSE_MS)) {
      last = { text, at: Date.now() };
      await onCode(text);
    }
    requestAnimationFrame(loop);
  };
  loop();
  return () => {
    running = false;
    stream.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
  };
}
