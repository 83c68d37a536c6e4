// Makes the compiled CLI executable, so `engine` works through npm's bin links and directly.
import { chmodSync } from 'node:fs';
chmodSync(new URL('../dist/cli.js', import.meta.url), 0o755);
