/**
 * Does nothing until stdin ends: what node and tsx take before any driver
 * code, for the memory table's baseline (bench/lan-memory-baseline.ts).
 */
const idle: Promise<void> = new Promise((resolve) => process.stdin.on('end', resolve).resume());
await idle;
