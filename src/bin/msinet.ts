#!/usr/bin/env node
import { main } from '../tool/main.js';

process.exitCode = await main(process.argv.slice(2));
