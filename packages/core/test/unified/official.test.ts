// The unified spec suites with the official `mongodb` driver: the proof of the sim.
import { defineUnifiedSuite } from './define.js';

await defineUnifiedSuite('official');
