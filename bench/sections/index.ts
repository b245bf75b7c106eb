/**
 * The section registry, in report order. A client-level section is added by writing a
 * Section (name, title, description, run(ctx) -> metrics) and listing it here.
 */
import type { Section } from '../lib/harness.js';
import { bsonSection } from './bson.js';
import { bridgeSection } from './bridge.js';
import { bridgeMemorySection } from './bridge-memory.js';
import { bundleSection } from './bundle.js';
import { changeStreamsSection } from './change-streams.js';
import { coldStartSection } from './cold-start.js';
import { failoverSection } from './failover.js';
import { gatewaySection } from './gateway.js';
import { largeHelloSection } from './large-hello.js';
import { operationsSection } from './operations.js';
import { selectionSection } from './selection.js';
import { transactionsSection } from './transactions.js';
import { workerdSection } from './workerd.js';

export const SECTIONS: readonly Section[] = [
  operationsSection, // 1
  bsonSection, // 2
  bridgeSection, // 3
  failoverSection, // 4
  coldStartSection, // 5
  bundleSection, // 6
  bridgeMemorySection, // 7
  selectionSection, // 8
  workerdSection, // 9
  largeHelloSection, // 10
  changeStreamsSection, // 11
  transactionsSection, // 12
  gatewaySection, // 13
];
