// When to restart ICE on a media connection, and when to give up and rejoin
// (docs/protocol.md, "Browser client: reconnecting"). Each connection
// (publish, subscribe) on its own: `disconnected` for DISCONNECTED_GRACE_MS
// (a short outage often heals by itself, and a restart costs a round trip
// and new checks), or `failed` at once, starts a restart. The connection
// then has RESTORE_MS to be `connected` again; one more attempt is made
// inside that window if it goes `failed` again (the network came back after
// the first attempt's checks had given up). A refused restart, an expired
// window or a closed transport hands over to the rejoin, which makes new
// connections. No I/O here: `restart(label)` does it and returns a promise.

export const DISCONNECTED_GRACE_MS = 2000;
export const RESTORE_MS = 12000;
const MAX_ATTEMPTS = 2;

export class IceRestarts {
  // restart(label): starts one restart, resolves when the server agreed
  // (rejects with its error). giveUp(label, why): rejoin. onRestoring(bool):
  // whether any connection is being restored now.
  constructor({ restart, giveUp, onRestoring }) {
    this.restart = restart;
    this.giveUp = giveUp;
    this.onRestoring = onRestoring;
    this.conns = {}; // label -> {state, grace (timer), restore: {attempts, busy, timer} or null}
  }

  conn(label) {
    if (!this.conns[label]) this.conns[label] = { state: null, grace: null, restore: null };
    return this.conns[label];
  }

  restoring() {
    return Object.values(this.conns).some((c) => c.restore);
  }

  // Every connectionState change of a connection of the current join.
  update(label, connectionState) {
    const c = this.conn(label);
    c.state = connectionState;
    if (connectionState !== 'disconnected') {
      clearTimeout(c.grace);
      c.grace = null;
    }
    if (connectionState === 'connected') {
      if (c.restore) {
        clearTimeout(c.restore.timer);
        c.restore = null;
        this.onRestoring(this.restoring());
      }
    } else if (connectionState === 'disconnected') {
      if (!c.restore && !c.grace) {
        c.grace = setTimeout(() => {
          c.grace = null;
          if (c.state === 'disconnected' && !c.restore) this.begin(label);
        }, DISCONNECTED_GRACE_MS);
      }
    } else if (connectionState === 'failed') {
      // A `failed` seen while an attempt is still being negotiated is the
      // old one's: only a later one counts against the new attempt.
      if (!c.restore) this.begin(label);
      else if (!c.restore.busy && c.restore.attempts < MAX_ATTEMPTS) this.attempt(label);
    }
  }

  begin(label) {
    const c = this.conn(label);
    c.restore = { attempts: 0, busy: false, timer: null };
    const r = c.restore;
    r.timer = setTimeout(() => {
      if (c.restore === r) this.fallback(label, `not connected ${RESTORE_MS / 1000} s after the ICE restart`);
    }, RESTORE_MS);
    this.onRestoring(true);
    this.attempt(label);
  }

  attempt(label) {
    const c = this.conn(label);
    const r = c.restore;
    r.attempts += 1;
    r.busy = true;
    Promise.resolve()
      .then(() => this.restart(label))
      .then(() => {
        if (c.restore === r) r.busy = false;
      }, (e) => {
        if (c.restore === r) this.fallback(label, `the ICE restart was refused: ${(e && (e.code || e.message)) || e}`);
      });
  }

  // The server closed a transport (`transport_closed`): while a restart is
  // under way the rejoin takes over (returns true); otherwise the caller
  // makes a new connection of that kind as before.
  transportClosed(label) {
    if (!this.restoring()) return false;
    this.fallback(label, 'the server closed the transport');
    return true;
  }

  fallback(label, why) {
    this.reset();
    this.giveUp(label, why);
  }

  // Forgets every connection (teardown, rejoin): pending answers and timers
  // of connections that are gone then do nothing. Says nothing to
  // onRestoring: whoever resets sets the banner (rejoining, ended, ...).
  reset() {
    for (const c of Object.values(this.conns)) {
      clearTimeout(c.grace);
      if (c.restore) clearTimeout(c.restore.timer);
    }
    this.conns = {};
  }
}
