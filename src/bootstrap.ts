// The start-up sequence shared by the server and every CLI command:
// .env → config → database → migrations → master key → services.
import path from 'node:path';
import { loadConfig, type Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { loadOrCreateKeyFile } from './key-file.js';
import { createServices, type Services } from './services.js';

export function loadDotEnv(): void {
  // A .env file may set variables; the real environment wins.
  try {
    process.loadEnvFile?.('.env');
  } catch {
    // no .env file: fine
  }
}

export function resolveMasterKey(config: Config, database: Database, log: (message: string) => void): Buffer {
  if (config.encryptionKey) return config.encryptionKey;
  const folder = database.sqlitePath ? path.dirname(database.sqlitePath) : path.resolve('data');
  return loadOrCreateKeyFile(folder, log);
}

export async function bootstrap(options: { log: (message: string) => void; defaultMetrics?: boolean; config?: Config }): Promise<Services> {
  const config = options.config ?? loadConfig();
  const database = openDatabase(config.databaseUrl);
  try {
    const applied = await migrateToLatest(database.db);
    if (applied.length > 0) options.log(`Applied migrations: ${applied.join(', ')}`);
    const masterKey = resolveMasterKey(config, database, options.log);
    return await createServices(config, database, { masterKey, defaultMetrics: options.defaultMetrics });
  } catch (error) {
    await database.close();
    throw error;
  }
}
