// The unified spec suites with our driver (@mongo-edge/core/node).
import { defineUnifiedSuite } from './define.js';

await defineUnifiedSuite('edge');
