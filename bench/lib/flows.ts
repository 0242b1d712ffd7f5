// Runs the 2FA flow driver (flow-driver.ts) in a process of its own and answers what it measured.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FlowInput, FlowOutput } from './flow-driver.js';

export type { FlowUser } from './flow-driver.js';

const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'flow-driver.ts');

export async function driveFlows(input: FlowInput): Promise<FlowOutput> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-flows-'));
  const inFile = path.join(dir, 'in.json');
  const outFile = path.join(dir, 'out.json');
  fs.writeFileSync(inFile, JSON.stringify(input));
  try {
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', DRIVER, inFile, outFile], { maxBuffer: 1 << 24 }, (error, _stdout, stderr) =>
        error ? reject(new Error(`flow driver failed: ${stderr}`)) : resolve(),
      ),
    );
    return JSON.parse(fs.readFileSync(outFile, 'utf8')) as FlowOutput;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
