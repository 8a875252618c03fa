// Max absolute difference between an engine output and a golden tensor, optionally only over rows
// (positions) whose attention mask is 1.
export function maxAbsDiff(actual, expected, { rowSize, mask } = {}) {
  if (actual.length !== expected.length) {
    throw new Error(`length mismatch: ${actual.length} vs ${expected.length}`);
  }
  let max = 0;
  for (let i = 0; i < actual.length; i++) {
    if (mask && mask[Math.floor(i / rowSize) % mask.length] === 0n) continue;
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}
