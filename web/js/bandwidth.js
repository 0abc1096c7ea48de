// The low-bandwidth switch: what this person wants to receive, told to the
// server with {type: "receive_mode", mode: "auto" | "low" | "audio_only"}
// (reply `receive_mode_ok`). audio_only: the server sends no video at all;
// low: every video at its lowest layer. The choice is kept on this browser
// (localStorage) and sent again after every (re)join.

import { $ } from './dom.js';
import { describeError } from './i18n.js';
import { state, request, onChange, changed } from './session.js';

const MODES = ['auto', 'low', 'audio_only'];
const STORAGE_KEY = 'sabaq.receive_mode';

let hooks = {};

function saved() {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return MODES.includes(v) ? v : 'auto';
  } catch (e) {
    return 'auto';
  }
}

async function send(mode) {
  state.receiveMode = mode;
  state.receiveModeAcked = null;
  changed('receive-mode');
  try {
    const reply = await request({ type: 'receive_mode', mode });
    state.receiveModeAcked = reply && reply.mode ? reply.mode : mode;
  } catch (e) {
    // A server without the message says unknown_type: keep the choice
    // locally (the videos are still hidden) and say so once.
    hooks.showError(describeError(e));
  }
  changed('receive-mode');
}

function render() {
  $('recv-mode').value = state.receiveMode || 'auto';
  // Audio only: the server sends no video; hide the empty video boxes too.
  const audioOnly = state.receiveMode === 'audio_only';
  document.body.classList.toggle('audio-only', audioOnly);
  $('audio-only-note').hidden = !audioOnly || state.phase !== 'joined';
}

export function init(ctx) {
  hooks = ctx;
  state.receiveMode = saved();
  $('recv-mode').addEventListener('change', () => {
    const mode = $('recv-mode').value;
    try {
      localStorage.setItem(STORAGE_KEY, mode);
    } catch (e) { /* storage disabled */ }
    send(mode);
  });
  // After each join (reconnects included) the server starts from "auto".
  onChange('phase', () => {
    if (state.phase === 'joined' && state.receiveMode !== 'auto') send(state.receiveMode);
    render();
  });
  onChange('receive-mode', render);
}
