// Sabaq signaling client: one WebSocket to /ws speaking docs/protocol.md.
// request() sends a message with a `req` id and resolves with the direct reply
// (or rejects with the server's `error`); every other server message goes to
// the handler registered with on(type, fn).

export class SignalingError extends Error {
  constructor(msg) {
    super(`${msg.code}: ${msg.message || 'error'}`);
    this.code = msg.code;
    this.ref = msg.ref;
    this.right = msg.right;
  }
}

export class Signaling {
  constructor(url) {
    this.url = url;
    this.ws = null;
    this.nextReq = 1;
    this.pending = new Map(); // req -> {resolve, reject}
    this.handlers = new Map(); // type -> [fn]
    this.state = 'new';
  }

  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(fn);
  }

  emit(type, arg) {
    for (const fn of this.handlers.get(type) || []) {
      try {
        fn(arg);
      } catch (e) {
        console.error(`handler for ${type} failed`, e);
      }
    }
  }

  setState(s) {
    this.state = s;
    this.emit('state', s);
  }

  connect() {
    return new Promise((resolve, reject) => {
      this.setState('connecting');
      const ws = new WebSocket(this.url);
      this.ws = ws;
      ws.onopen = () => {
        this.setState('open');
        resolve();
      };
      ws.onerror = () => {
        if (this.state === 'connecting') reject(new Error(`cannot connect to ${this.url}`));
      };
      ws.onclose = (ev) => {
        const was = this.state;
        this.setState('closed');
        for (const p of this.pending.values()) p.reject(new Error('signaling connection closed'));
        this.pending.clear();
        if (was === 'connecting') reject(new Error(`cannot connect to ${this.url}`));
        this.emit('close', ev);
      };
      ws.onmessage = (ev) => this.receive(ev.data);
    });
  }

  receive(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch (e) {
      console.warn('server sent non-JSON', data);
      return;
    }
    if (msg === null || typeof msg !== 'object' || typeof msg.type !== 'string') return;
    if (msg.req !== undefined && this.pending.has(msg.req)) {
      const p = this.pending.get(msg.req);
      this.pending.delete(msg.req);
      if (msg.type === 'error') p.reject(new SignalingError(msg));
      else p.resolve(msg);
      return;
    }
    this.emit(msg.type, msg);
  }

  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) throw new Error('signaling is not connected');
    this.ws.send(JSON.stringify(msg));
  }

  request(msg, timeoutMs = 10000) {
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(req);
        reject(new Error(`no reply to ${msg.type} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(req, {
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      try {
        this.send({ ...msg, req });
      } catch (e) {
        this.pending.delete(req);
        clearTimeout(timer);
        reject(e);
      }
    });
  }

  close() {
    if (this.ws) this.ws.close();
  }
}
