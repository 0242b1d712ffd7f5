// Runs the 2FA flow driver (flow-driver.ts) in a process of its own and answers what it measured.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlowInput, FlowOutput } from './flow-driver.js';
import { runDriver } from './processes.js';

export type { FlowUser } from './flow-driver.js';

const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'flow-driver.ts');

export function driveFlows(input: FlowInput): Promise<FlowOutput> {
  return runDriver<FlowOutput>(DRIVER, input);
}
