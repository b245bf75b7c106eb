/**
 * Fail points, as mongod's `configureFailPoint` test command drives them (always
 * enabled in the sim). `failCommand` is interpreted by the dispatcher; any other name
 * is stored so that tests can configure it and later layers can consult it.
 */
import { CommandError, ErrorCode } from './errors.js';
import { isPlainObject, type Doc } from './storage/values.js';

export interface FailPointState {
  mode: 'off' | 'alwaysOn' | 'times' | 'skip' | 'activationProbability';
  remaining: number;
  probability: number;
  data: Doc;
  timesEntered: number;
}

export class FailPoints {
  private points = new Map<string, FailPointState>();

  /** Applies a configureFailPoint command; returns mongod's reply fields ({ count }). */
  configure(name: string, mode: unknown, data: unknown): Doc {
    const prev = this.points.get(name);
    const count = prev?.timesEntered ?? 0;
    let state: FailPointState;
    if (mode === 'off') state = { mode: 'off', remaining: 0, probability: 0, data: {}, timesEntered: 0 };
    else if (mode === 'alwaysOn') state = { mode: 'alwaysOn', remaining: 0, probability: 1, data: {}, timesEntered: 0 };
    else if (isPlainObject(mode) && typeof mode.times === 'number') state = { mode: 'times', remaining: mode.times, probability: 1, data: {}, timesEntered: 0 };
    else if (isPlainObject(mode) && typeof mode.skip === 'number') state = { mode: 'skip', remaining: mode.skip, probability: 1, data: {}, timesEntered: 0 };
    else if (isPlainObject(mode) && typeof mode.activationProbability === 'number') {
      state = { mode: 'activationProbability', remaining: 0, probability: mode.activationProbability, data: {}, timesEntered: 0 };
    } else throw new CommandError(ErrorCode.BadValue, 'mode must be off, alwaysOn, or an object with times, skip or activationProbability');
    if (state.mode === 'times' && state.remaining <= 0) state.mode = 'off';
    if (data !== undefined && !isPlainObject(data)) throw new CommandError(ErrorCode.TypeMismatch, "'data' must be an object");
    state.data = (data as Doc | undefined) ?? {};
    if (state.mode === 'off') this.points.delete(name);
    else this.points.set(name, state);
    return { count };
  }

  /** Evaluates the fail point: returns its data when it fires (and counts the firing). */
  shouldFail(name: string, matches: (data: Doc) => boolean = () => true): Doc | undefined {
    const p = this.points.get(name);
    if (!p || !matches(p.data)) return undefined;
    switch (p.mode) {
      case 'off':
        return undefined;
      case 'alwaysOn':
        break;
      case 'times':
        p.remaining--;
        if (p.remaining <= 0) this.points.delete(name);
        break;
      case 'skip':
        if (p.remaining > 0) {
          p.remaining--;
          return undefined;
        }
        break;
      case 'activationProbability':
        if (Math.random() >= p.probability) return undefined;
        break;
      default: {
        const never: never = p.mode;
        throw new Error(`bad mode ${String(never)}`);
      }
    }
    p.timesEntered++;
    return p.data;
  }

  get(name: string): FailPointState | undefined {
    return this.points.get(name);
  }

  clear(): void {
    this.points.clear();
  }
}
