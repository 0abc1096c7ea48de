// Recording: everyone sees when the lesson is being recorded (a red
// indicator with the time it started, in the viewer's locale); teachers and
// assistants start and stop it (`recording_start` / `recording_stop`) and
// find the lesson's recordings at /recordings/<lesson>.
// Server -> all: {type: "recording", active, recording, since_ms, reason};
// `joined` carries the same object as `recording`.

import { $ } from './dom.js';
import { t, setText, setAria, formatTime } from './i18n.js';
import { state, can, isStaff, handle, onJoined, onChange, changed } from './session.js';

const STOP_REASONS = ['disk_full', 'write_error'];

let hooks = {};

// Teachers and assistants record (the protocol's `record` right); the
// server refuses anyone else with `forbidden`.
function mayRecord() {
  return isStaff() || can('record');
}

function apply(r, quiet) {
  if (!r || typeof r !== 'object') return;
  const was = state.recording && state.recording.active;
  state.recording = {
    active: r.active === true,
    recording: r.recording ?? null,
    since_ms: typeof r.since_ms === 'number' ? r.since_ms : null,
    reason: r.reason || null,
  };
  if (!quiet && was && !state.recording.active && STOP_REASONS.includes(state.recording.reason)) {
    hooks.showError(t(`rec.stopped_${state.recording.reason}`));
  } else if (!quiet && was !== state.recording.active) {
    hooks.notice(state.recording.active ? 'rec.started_notice' : 'rec.stopped_notice');
  }
  changed('recording');
}

function render() {
  const r = state.recording || { active: false };
  const joined = state.phase === 'joined';
  const ind = $('rec-indicator');
  ind.hidden = !(joined && r.active);
  if (r.active) {
    setText($('rec-text'), r.since_ms ? 'rec.since' : 'rec.on', { time: formatTime(r.since_ms) });
  }
  const btn = $('btn-rec');
  btn.hidden = !(joined && mayRecord());
  btn.setAttribute('aria-pressed', String(Boolean(r.active)));
  setText(btn, r.active ? 'rec.stop' : 'rec.start');
  setAria(btn, r.active ? 'rec.stop_aria' : 'rec.start_aria');
  btn.classList.toggle('danger', Boolean(r.active));
  const link = $('rec-link');
  link.hidden = !(joined && isStaff() && state.lesson);
  if (state.lesson) {
    const q = state.token ? `?t=${encodeURIComponent(state.token)}` : '';
    link.href = `/recordings/${encodeURIComponent(state.lesson)}${q}`;
  }
}

// Sent without waiting for a direct reply: the server answers everyone with
// `recording`, and a refusal comes back as an `error` (shown by app.js).
let pendingTimer = 0;
function toggle() {
  const on = state.recording && state.recording.active;
  const btn = $('btn-rec');
  btn.disabled = true;
  clearTimeout(pendingTimer);
  pendingTimer = setTimeout(() => { btn.disabled = false; }, 5000);
  hooks.send({ type: on ? 'recording_stop' : 'recording_start' });
}

// The server refused recording_start/stop (app.js shows why): the button works again.
export function refused() {
  clearTimeout(pendingTimer);
  $('btn-rec').disabled = false;
}

export function init(ctx) {
  hooks = ctx;
  state.recording = { active: false, recording: null, since_ms: null, reason: null };
  handle('recording', (m) => {
    clearTimeout(pendingTimer);
    $('btn-rec').disabled = false;
    apply(m, false);
  });
  onJoined((m) => apply(m.recording || { active: false }, true));
  $('btn-rec').addEventListener('click', toggle);
  for (const topic of ['recording', 'phase', 'toolbar']) onChange(topic, render);
}
