// The `gatehouse` command as its own process, for tests that drive real servers: the same entry and
// clock as startServerProcess (processes.ts), the test's environment (its database, its key) and
// standard input for the commands that read a secret from it (--password-stdin, --client-secret-stdin).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clockEnv } from './processes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSX = import.meta.resolve('tsx');
const ENTRY = path.join(ROOT, 'src', 'cli', 'run.ts');

/** Runs `gatehouse <args>` with `env` (in `cwd`), writes `input` to its standard input; answers its standard output, or rejects with its error. */
export function runGatehouse(env: Record<string, string>, args: string[], input = '', cwd = ROOT): Promise<string> {
  const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...clockEnv(), GATEHOUSE_LOG_LEVEL: 'warn', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`gatehouse ${args.join(' ')} exited with ${code}:\n${stderr}${stdout}`))));
  });
}
