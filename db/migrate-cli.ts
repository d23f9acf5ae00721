import { ConfigError, loadConfig, requireSetting } from '../lib/config.js';
import { migrateDatabase } from './migrate.js';

try {
  const config = loadConfig();
  const url = requireSetting(config.databaseUrl, 'DATABASE_URL', 'to know which database to migrate');
  await migrateDatabase(url);
  console.log('migrations applied');
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
