/**
 * Atlas Search index management, as a mongod 7.0 without mongot (not Atlas) answers it:
 * `createSearchIndexes`, `updateSearchIndex` and `dropSearchIndex` exist and fail with
 * CommandNotSupported (115) "Search index commands are only supported with Atlas.";
 * the `$listSearchIndexes` stage fails with 6047401 (source-stages.ts). Drivers and
 * tools recognise these answers as "search is not available here".
 */
import { registerCommands, type CommandHandler } from '../dispatcher.js';
import { CommandError, ErrorCode } from '../errors.js';

export const SEARCH_NOT_SUPPORTED_MESSAGE = 'Search index commands are only supported with Atlas.';
export const LIST_SEARCH_INDEXES_CODE = 6047401;
export const LIST_SEARCH_INDEXES_MESSAGE = '$listSearchIndexes stage is only allowed on MongoDB Atlas';

const notOnAtlas: CommandHandler = () => {
  throw new CommandError(ErrorCode.CommandNotSupported, SEARCH_NOT_SUPPORTED_MESSAGE);
};

registerCommands({
  createSearchIndexes: { handler: notOnAtlas },
  updateSearchIndex: { handler: notOnAtlas },
  dropSearchIndex: { handler: notOnAtlas },
});
