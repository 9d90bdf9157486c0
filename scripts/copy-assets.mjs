// Copies non-TypeScript runtime assets (Lua modules, built-in certificates) next to the build.
import { cpSync, existsSync } from 'node:fs';
for (const dir of ['src/vm-resources']) {
  if (existsSync(dir)) cpSync(dir, 'dist/' + dir, { recursive: true });
}
