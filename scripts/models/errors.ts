/**
 * Errors of `pnpm models` and its helpers. Each has a stable `code`:
 *
 * | code | thrown when | what to do |
 * | --- | --- | --- |
 * | `ONNX_EXPORT_UNSUPPORTED` | the exporter meets a layer, activation or padding it does not translate | use Dense / Reshape / Conv2D / MaxPooling2D / Flatten, or extend onnx-export.ts |
 * | `HELDOUT_FORMAT` | `heldout.bin` is not a whole number of 785-byte records | re-run `pnpm models` |
 * | `WEATHER_FORMAT` | `seattle-weather.csv` of `vega-datasets` lacks a column, a number or a known class | pin the `vega-datasets` version that has it, or update weather-data.ts |
 * | `TABULAR_QUALITY` | the weather model misses its accuracy floor, or its held-out columns drift from its reference | change the seeds or the training settings in tabular.ts |
 */
export class ModelsError extends Error {
  override name = 'ModelsError';
  constructor(
    readonly code: 'ONNX_EXPORT_UNSUPPORTED' | 'HELDOUT_FORMAT' | 'WEATHER_FORMAT' | 'TABULAR_QUALITY',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The exporter met something it does not translate to ONNX. */
export class OnnxExportError extends ModelsError {
  override name = 'OnnxExportError';
  constructor(message: string) {
    super('ONNX_EXPORT_UNSUPPORTED', message);
  }
}
