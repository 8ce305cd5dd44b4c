// Loaded before the test files (bunfig.toml): what the whole run shares.
import { afterAll } from 'bun:test';
import { removeTempDirs } from './server.ts';

afterAll(removeTempDirs);
