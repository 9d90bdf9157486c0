#!/usr/bin/env node
import { Runtime } from '../app/runtime.js';
const rt = await Runtime.create();
const err = await rt.runFile(process.argv[2]!);
process.exit(err ? 1 : 0);
