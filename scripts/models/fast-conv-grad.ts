import * as tf from '@tensorflow/tfjs';

interface CpuBackend {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

/**
 * The filter gradient of an NHWC conv2d (dilation 1), as tfjs's CPU kernel `Conv2DBackpropFilter`
 * computes it, but on flat arrays: tfjs's own kernel indexes through `TensorBuffer.get` and takes
 * ~7 s per 64-digit batch of a small CNN on one core, which would make `pnpm models` take an hour.
 */
export function conv2dFilterGrad(
  x: Float32Array,
  xShape: readonly number[],
  dy: Float32Array,
  dyShape: readonly number[],
  info: {
    filterHeight: number;
    filterWidth: number;
    strideHeight: number;
    strideWidth: number;
    top: number;
    left: number;
  },
): Float32Array {
  const [batch, inH, inW, inC] = xShape as [number, number, number, number];
  const [, outH, outW, outC] = dyShape as [number, number, number, number];
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, top, left } = info;
  const acc = new Float64Array(fh * fw * inC * outC);
  for (let b = 0; b < batch; b++) {
    for (let yR = 0; yR < outH; yR++) {
      for (let yC = 0; yC < outW; yC++) {
        const dyBase = ((b * outH + yR) * outW + yC) * outC;
        for (let wR = 0; wR < fh; wR++) {
          const xR = yR * sh + wR - top;
          if (xR < 0 || xR >= inH) continue;
          for (let wC = 0; wC < fw; wC++) {
            const xC = yC * sw + wC - left;
            if (xC < 0 || xC >= inW) continue;
            const xBase = ((b * inH + xR) * inW + xC) * inC;
            const wBase = (wR * fw + wC) * inC * outC;
            for (let d1 = 0; d1 < inC; d1++) {
              const xv = x[xBase + d1]!;
              if (xv === 0) continue;
              const row = wBase + d1 * outC;
              for (let d2 = 0; d2 < outC; d2++) acc[row + d2]! += xv * dy[dyBase + d2]!;
            }
          }
        }
      }
    }
  }
  return Float32Array.from(acc);
}

let installed = false;

/**
 * Replaces the CPU backend's `Conv2DBackpropFilter` kernel with {@link conv2dFilterGrad} for
 * NHWC input. Idempotent. Results equal tfjs's kernel up to float rounding (see the test).
 */
export function installFastConvGrad(): void {
  if (installed) return;
  installed = true;
  tf.unregisterKernel('Conv2DBackpropFilter', 'cpu');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'cpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as {
        strides: [number, number] | number;
        pad: 'valid' | 'same' | number;
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      if (a.dataFormat !== 'NHWC') throw new Error('installFastConvGrad handles NHWC convolutions only');
      const conv = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        a.filterShape,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
      );
      const cpu = backend as unknown as CpuBackend;
      const values = conv2dFilterGrad(
        cpu.data.get(x.dataId).values,
        x.shape,
        cpu.data.get(dy.dataId).values,
        dy.shape,
        {
          filterHeight: conv.filterHeight,
          filterWidth: conv.filterWidth,
          strideHeight: conv.strideHeight,
          strideWidth: conv.strideWidth,
          top: conv.padInfo.top,
          left: conv.padInfo.left,
        },
      );
      return cpu.makeTensorInfo(conv.filterShape, 'float32', values);
    },
  });
}
