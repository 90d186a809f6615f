/** The room proxy example's building blocks (used by its tests and the demo). */
export { type Accounts, accountsFrom, loadAccounts } from './accounts.js';
export { type Binding, Bindings } from './bindings.js';
export { type RunningRoomProxy, runRoomProxy } from './main.js';
export {
  declareAccounts,
  installRoomProxy,
  installUnguardedRoomProxy,
  type RoomProxy,
  type RoomProxyOptions,
} from './room-proxy.js';
export { stopSrf } from './stop-srf.js';
