// A BlurHash decoder (https://blurha.sh, the reference algorithm): the API's placeholders
// are 4x3 or 3x4 components, painted here into a tiny canvas and scaled up by the browser.

const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

function base83(text, from, to) {
  let value = 0;
  for (let i = from; i < to; i += 1) {
    const digit = DIGITS.indexOf(text[i]);
    if (digit < 0) throw new Error("not a BlurHash");
    value = value * 83 + digit;
  }
  return value;
}

function toLinear(value) {
  const v = value / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

function toSrgb(value) {
  const v = Math.max(0, Math.min(1, value));
  const srgb = v <= 0.0031308 ? v * 12.92 : 1.055 * v ** (1 / 2.4) - 0.055;
  return Math.round(srgb * 255);
}

function signedSquare(value) {
  return Math.sign(value) * value * value;
}

/** RGBA pixels (width x height) of `hash`. */
export function decode(hash, width, height) {
  if (typeof hash !== "string" || hash.length < 6) throw new Error("not a BlurHash");
  const size = base83(hash, 0, 1);
  const nx = (size % 9) + 1;
  const ny = Math.floor(size / 9) + 1;
  if (hash.length !== 4 + 2 * nx * ny) throw new Error("BlurHash of the wrong length");
  const maxAc = (base83(hash, 1, 2) + 1) / 166;
  const dc = base83(hash, 2, 6);
  const colors = [[toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)]];
  for (let i = 1; i < nx * ny; i += 1) {
    const value = base83(hash, 4 + i * 2, 6 + i * 2);
    colors.push([Math.floor(value / 361), Math.floor(value / 19) % 19, value % 19]
      .map((quantized) => signedSquare((quantized - 9) / 9) * maxAc));
  }
  const pixels = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let j = 0; j < ny; j += 1) {
        for (let i = 0; i < nx; i += 1) {
          const basis = Math.cos((Math.PI * x * i) / width) * Math.cos((Math.PI * y * j) / height);
          const color = colors[i + j * nx];
          r += color[0] * basis;
          g += color[1] * basis;
          b += color[2] * basis;
        }
      }
      const at = 4 * (x + y * width);
      pixels[at] = toSrgb(r);
      pixels[at + 1] = toSrgb(g);
      pixels[at + 2] = toSrgb(b);
      pixels[at + 3] = 255;
    }
  }
  return pixels;
}

/** A data: URL of `hash` painted at 32 px across, in the shape of a width x height image. */
export function placeholderUrl(hash, width, height) {
  const across = 32;
  const down = Math.max(1, Math.round((across * height) / width));
  const canvas = document.createElement("canvas");
  canvas.width = across;
  canvas.height = down;
  const context = canvas.getContext("2d");
  const image = context.createImageData(across, down);
  image.data.set(decode(hash, across, down));
  context.putImageData(image, 0, 0);
  return canvas.toDataURL("image/png");
}
