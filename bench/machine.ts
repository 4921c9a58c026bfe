// What a figure was measured on: it means little without the machine, the load, and the date.
import { cpus, loadavg, release, availableParallelism } from 'node:os';

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  node: string;
  kernel: string;
  /** 1-minute load average when the bench started and ended: the machine is shared. */
  loadAverageStart: number;
  loadAverageEnd?: number;
}

export function machineInfo(): MachineInfo {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    kernel: release(),
    loadAverageStart: Number((loadavg()[0] as number).toFixed(2)),
  };
}

export function currentLoad(): number {
  return Number((loadavg()[0] as number).toFixed(2));
}
