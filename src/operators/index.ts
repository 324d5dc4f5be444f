/**
 * The driver's operators, one per file (docs/operators.md shows each one's
 * marble diagram and how to write your own).
 */
export { groupEvents, relativeDate } from './group-events.js';
export {
  trackSerials,
  serialStep,
  isKept,
  type SerialState,
  type SerialTrackerOptions,
} from './track-serials.js';
export {
  clockReference,
  clockFilterFor,
  clockStep,
  initialClockState,
  toClockReference,
  type ClockFilterParams,
  type ClockState,
} from './clock-reference.js';
export { planDelivery, planStep } from './plan-delivery.js';
export { deliverOnTime, dueEvents, type LatePolicy } from './deliver-on-time.js';
export { scheduleDelivery } from './schedule-delivery.js';
export { routePort255, pathOf } from './route-port255.js';
export { sleepUntilFirstClient } from './sleep-until-first-client.js';
export {
  stuckNoteGuard,
  trackNote,
  releaseNotes,
  newGuardState,
  type GuardState,
} from './stuck-note-guard.js';
export { remoteStats, statsStep, initialRemoteStats } from './remote-stats.js';
export { transpose, isPitched } from './transpose.js';
export { mapChannel, isChannelMessage, type ChannelMapping } from './map-channel.js';
