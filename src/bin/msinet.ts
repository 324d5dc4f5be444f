#!/usr/bin/env node
import { main } from '../msinet/main.js';

process.exitCode = await main(process.argv.slice(2));
