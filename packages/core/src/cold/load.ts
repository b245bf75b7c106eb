/** The one loader of cold/index.ts (see there), shared by every lazy path. */
import { lazy } from '../util/lazy.js';

export const loadCold = lazy('on-demand', () => import('./index.js'));
