// A setting that stops the program before it listens: the variable, what is wrong, and the fix.
export class ConfigError extends Error {
  constructor(variable: string, problem: string, fix: string) {
    super(`${variable}: ${problem}. ${fix}`);
    this.name = 'ConfigError';
  }
}
