/**
 * Entry point of the selection module for the rest of core (sdam/topology.ts imports it).
 * Not a public barrel: the public API is packages/core/src/index.ts.
 */
export {
  ReadPreference,
  ReadPreferenceMode,
  type ReadPreferenceLike,
  type ReadPreferenceOptions,
  type TagSet,
} from './read-preference.js';
export {
  findSuitableServers,
  pickServer,
  selectServers,
  SelectionOperation,
  suitableServersSelector,
  validateSelection,
  type SelectionCriteria,
} from './select-servers.js';
export {
  composeSelectors,
  DEFAULT_LOCAL_THRESHOLD_MS,
  deprioritizedSelector,
  IDLE_WRITE_PERIOD_MS,
  latencyWindowSelector,
  maxStalenessSelector,
  SMALLEST_MAX_STALENESS_SECONDS,
  stalenessMS,
  tagSetsSelector,
  type ServerSelector,
} from './selectors.js';
export { readPreferenceForCommand, secondaryOkForQuery } from './read-preference-for-command.js';
export { describeServer, explainNoSuitableServer, formatTags, formatTagSets } from './explain.js';
