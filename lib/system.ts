import { binding } from './binding';

export interface CpuInfo {
  /** AVX2 + FMA usable (CPU and OS). */
  avx2: boolean;
  /** F16C (half-float conversion) usable. */
  f16c: boolean;
  /** AVX-512 F/BW/DQ/VL usable. */
  avx512: boolean;
  /** The kernel set `kernel: 'auto'` picks (after ALBERT_NODE_ISA). */
  defaultKernel: 'generic' | 'avx2' | 'avx512';
  /** Every kernel set this CPU can run. */
  kernels: Array<'generic' | 'avx2' | 'avx512'>;
  /** Cores the compute pool uses at most. */
  cores: number;
}

/** What the native engine detected about this CPU. */
export function cpuInfo(): CpuInfo {
  return binding().cpuInfo();
}
