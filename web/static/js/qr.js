// Draws a QR code on a canvas with the vendored encoder: alphanumeric mode, level M, 4-module quiet zone.
import qrcode from "../vendor/qrcode-generator/qrcode.mjs";

const QUIET = 4;
const CELL = 8;

export function drawQr(canvas, text) {
  const code = qrcode(0, "M");
  code.addData(text, "Alphanumeric");
  code.make();
  const modules = code.getModuleCount();
  const size = (modules + 2 * QUIET) * CELL;
  canvas.width = size;
  canvas.height = size;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, size, size);
  context.fillStyle = "#000";
  for (let row = 0; row < modules; row++) {
    for (let column = 0; column < modules; column++) {
      if (code.isDark(row, column)) context.fillRect((column + QUIET) * CELL, (row + QUIET) * CELL, CELL, CELL);
    }
  }
}
