/** Registers every command module with the dispatcher. */
import './admin.js';
import './crud.js';
import './catalog.js';
import './explain.js';
import './collmod.js';
import './diagnostics.js';
import './bulk-write.js';
import './search-indexes.js';
import '../repl/commands.js';
