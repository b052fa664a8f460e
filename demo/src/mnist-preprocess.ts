/** Side of the model's input image. */
export const MNIST_SIDE = 28;
/** MNIST fits each digit's bounding box into this square before centring it by mass. */
export const MNIST_BOX = 20;

/** A grayscale image, row-major, values 0 (background) .. 1 (ink). */
export interface GrayImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** Ink intensity of RGBA pixels drawn light-on-dark (the red channel, 0..1). */
export function grayFromRgba(rgba: Uint8ClampedArray, width: number, height: number): GrayImage {
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = rgba[i * 4]! / 255;
  return { width, height, data };
}

/** Smallest rectangle holding every pixel above `threshold`, or undefined for a blank image. */
export function inkBounds(img: GrayImage, threshold = 0.05) {
  let minX = img.width;
  let minY = img.height;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (img.data[y * img.width + x]! <= threshold) continue;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  return maxX < 0 ? undefined : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}

/** Area-averaging resample of the rectangle `src` of `img` to `width × height`. */
export function resampleArea(
  img: GrayImage,
  src: { x: number; y: number; width: number; height: number },
  width: number,
  height: number,
): GrayImage {
  const out = new Float32Array(width * height);
  const sx = src.width / width;
  const sy = src.height / height;
  for (let oy = 0; oy < height; oy++) {
    const y0 = src.y + oy * sy;
    const y1 = y0 + sy;
    for (let ox = 0; ox < width; ox++) {
      const x0 = src.x + ox * sx;
      const x1 = x0 + sx;
      let sum = 0;
      for (let y = Math.floor(y0); y < Math.ceil(y1); y++) {
        const wy = Math.min(y1, y + 1) - Math.max(y0, y);
        for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
          const wx = Math.min(x1, x + 1) - Math.max(x0, x);
          sum += wx * wy * img.data[y * img.width + x]!;
        }
      }
      out[oy * width + ox] = sum / (sx * sy);
    }
  }
  return { width, height, data: out };
}

/**
 * Turns a drawing into the model's input the way MNIST made its digits: crop to the ink, scale
 * the longer side to 20 px keeping the aspect ratio (area-averaged, so strokes keep their grey
 * edges), then place it in a 28 × 28 image so that its centre of mass sits at the centre.
 * Returns `[784]` floats 0..1, or undefined when nothing is drawn.
 */
export function toMnistInput(img: GrayImage): Float32Array | undefined {
  const bounds = inkBounds(img);
  if (!bounds) return undefined;
  const scale = MNIST_BOX / Math.max(bounds.width, bounds.height);
  const w = Math.max(1, Math.round(bounds.width * scale));
  const h = Math.max(1, Math.round(bounds.height * scale));
  const box = resampleArea(img, bounds, w, h);

  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = box.data[y * w + x]!;
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  const offsetX = Math.round(MNIST_SIDE / 2 - mx / mass);
  const offsetY = Math.round(MNIST_SIDE / 2 - my / mass);
  const out = new Float32Array(MNIST_SIDE * MNIST_SIDE);
  for (let y = 0; y < h; y++) {
    const ty = y + offsetY;
    if (ty < 0 || ty >= MNIST_SIDE) continue;
    for (let x = 0; x < w; x++) {
      const tx = x + offsetX;
      if (tx < 0 || tx >= MNIST_SIDE) continue;
      out[ty * MNIST_SIDE + tx] = Math.min(1, box.data[y * w + x]!);
    }
  }
  return out;
}
