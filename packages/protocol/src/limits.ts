/**
 * Hard caps that no sketch, profile or decoded input may exceed. They bound memory and CPU on the
 * collector whatever a client sends, and bound what a device can put on the wire.
 */
export const LIMITS = {
  /** Largest encoded profile accepted by `decodeProfile`, in bytes. */
  maxProfileBytes: 1 << 20,
  /** Most features in one profile. */
  maxFeatures: 1024,
  /** Most latency stages in one profile. */
  maxLatencyStages: 16,
  /** Longest feature or stage name, in UTF-8 bytes. */
  maxNameBytes: 128,
  /**
   * Most bin indexes all numeric stores of one profile may span together: decoded stores are dense,
   * so this bounds the decoder's memory (× 8 bytes = 32 MiB) whatever a small input claims.
   * `encodeProfile` enforces it too, so every profile that encodes also decodes.
   */
  maxDecodedBins: 1 << 22,
  /** Largest `maxBins` of a numeric sketch (per sign). */
  maxBins: 4096,
  /** Smallest and largest relative accuracy of a numeric sketch. */
  minAlpha: 1e-4,
  maxAlpha: 0.2,
  /** Largest `maxLabels` of a categorical sketch. */
  maxLabels: 1024,
  /** Largest `maxLabelLength` of a categorical sketch, in UTF-16 code units. */
  maxLabelLength: 256,
} as const;
