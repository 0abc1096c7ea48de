// The pre-join screen: the person's name (unless the link names them),
// which camera and microphone to use (enumerateDevices), a preview of the
// camera and a level meter of the microphone (WebAudio AnalyserNode), and
// "join without camera". What was chosen goes to onJoin({name, video,
// camId, micId}); the preview's devices are released first, so the lesson
// opens them again with the same ids.

import { $ } from './dom.js';
import { t, setText } from './i18n.js';

const PREVIEW_VIDEO = { width: 320, height: 240, frameRate: 15 };
const AUDIO = { echoCancellation: false, noiseSuppression: false, autoGainControl: false };
const LEVEL_EVERY_MS = 100;

let stream = null; // the preview's tracks (owned here until stop())
let audioCtx = null;
let levelTimer = 0;
let hooks = null;
let generation = 0; // ignores devices that arrive after the screen was left

export const preview = { camera: null, mic: null, level: 0, devices: 0 };

function stopStream() {
  if (stream) for (const tr of stream.getTracks()) tr.stop();
  stream = null;
  $('j-preview').srcObject = null;
}

function stopMeter() {
  clearInterval(levelTimer);
  levelTimer = 0;
  if (audioCtx) audioCtx.close().catch(() => {});
  audioCtx = null;
  setLevel(0);
}

function setLevel(v) {
  preview.level = v;
  const meter = $('j-level');
  meter.setAttribute('aria-valuenow', String(v));
  meter.firstElementChild.style.width = `${v}%`;
}

// Root mean square of the waveform, shown on a 0-100 scale that makes
// ordinary speech reach the middle (a gain of 3, capped).
function startMeter(track) {
  stopMeter();
  if (!track || typeof AudioContext !== 'function') return;
  audioCtx = new AudioContext();
  const source = audioCtx.createMediaStreamSource(new MediaStream([track]));
  const analyser = audioCtx.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  levelTimer = setInterval(() => {
    if (audioCtx.state === 'suspended') return; // waits for the first click or key
    analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (const x of buf) sum += x * x;
    const rms = Math.sqrt(sum / buf.length);
    setLevel(Math.min(100, Math.round(rms * 300)));
  }, LEVEL_EVERY_MS);
}

// Browsers start an AudioContext only after a gesture on the page.
function resumeAudio() {
  if (audioCtx && audioCtx.state === 'suspended') audioCtx.resume().catch(() => {});
}

function fillSelect(select, devices, kind, chosen) {
  const list = devices.filter((d) => d.kind === kind);
  select.replaceChildren(...list.map((d, i) => {
    const o = document.createElement('option');
    o.value = d.deviceId;
    if (d.label) o.textContent = d.label;
    else setText(o, kind === 'videoinput' ? 'join.camera_n' : 'join.mic_n', { n: i + 1 });
    o.selected = d.deviceId === chosen;
    return o;
  }));
  if (kind === 'videoinput') {
    const none = document.createElement('option');
    none.value = '';
    setText(none, 'join.no_camera');
    none.selected = chosen === '';
    select.append(none);
  }
  return list.length;
}

function deviceError(e) {
  const box = $('j-device-error');
  if (!e) {
    box.hidden = true;
    return;
  }
  setText(box, 'join.device_error', { error: `${e.name}` });
  box.hidden = false;
}

// Opens the chosen devices for the preview (camId '' = no camera).
async function open(camId, micId) {
  const my = ++generation;
  stopStream();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    // Not a secure context: joining still works, to watch and listen.
    const box = $('j-device-error');
    setText(box, 'join.needs_https');
    box.hidden = false;
    $('j-preview').hidden = true;
    return;
  }
  let s = null;
  const video = camId === '' ? false : { ...PREVIEW_VIDEO, ...(camId ? { deviceId: { exact: camId } } : {}) };
  const audio = { ...AUDIO, ...(micId ? { deviceId: { exact: micId } } : {}) };
  try {
    s = await navigator.mediaDevices.getUserMedia({ video, audio });
    deviceError(null);
  } catch (e) {
    // Perhaps no camera (or it is refused): the microphone alone.
    try {
      s = await navigator.mediaDevices.getUserMedia({ audio });
    } catch (e2) {
      s = null;
    }
    if (video) deviceError(e);
  }
  if (my !== generation) {
    if (s) for (const tr of s.getTracks()) tr.stop();
    return;
  }
  stream = s;
  const v = s && s.getVideoTracks()[0];
  const a = s && s.getAudioTracks()[0];
  $('j-preview').srcObject = v ? new MediaStream([v]) : null;
  $('j-preview').hidden = !v;
  $('j-nocam-note').hidden = Boolean(v);
  preview.camera = v ? v.label : null;
  preview.mic = a ? a.label : null;
  startMeter(a || null);
  await listDevices(my, v ? v.getSettings().deviceId : '', a ? a.getSettings().deviceId : '');
}

// Fills the camera and microphone lists (labels are only given once a
// device is open), marking the ones in use.
async function listDevices(my, camChosen, micChosen) {
  const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
  if (my !== generation) return;
  const cams = fillSelect($('j-cam'), devices, 'videoinput', camChosen);
  fillSelect($('j-mic'), devices, 'audioinput', micChosen);
  preview.devices = devices.length;
  $('j-nocam').hidden = cams === 0;
}

function submit(video) {
  const params = {
    name: $('j-name').value.trim(),
    video: video && $('j-cam').value !== '',
    camId: $('j-cam').value || null,
    micId: $('j-mic').value || null,
  };
  if (hooks.askName && (params.name.length < 1 || params.name.length > 64)) {
    hooks.onError(t('err.name'));
    $('j-name').focus();
    return;
  }
  stop();
  hooks.onJoin(params);
}

// options: {askName, name (prefilled or known), knownName (shown, not asked),
// video (the link's default), onJoin, onError}
export function show(options) {
  hooks = options;
  $('j-name-label').hidden = !options.askName;
  $('j-name').required = Boolean(options.askName);
  $('j-name').value = options.name || '';
  const known = $('j-name-known');
  known.hidden = !options.knownName;
  if (options.knownName === true) setText(known, 'join.as_roster');
  else if (options.knownName) setText(known, 'join.as', { name: options.knownName });
  $('name-form').onsubmit = (ev) => {
    ev.preventDefault();
    submit(true);
  };
  $('j-nocam').onclick = () => submit(false);
  $('j-cam').onchange = () => open($('j-cam').value, $('j-mic').value);
  $('j-mic').onchange = () => open($('j-cam').value, $('j-mic').value);
  // A camera or headset plugged in (or out) while choosing.
  if (navigator.mediaDevices) {
    navigator.mediaDevices.ondevicechange = () => listDevices(generation, $('j-cam').value, $('j-mic').value);
  }
  const screen = $('screen-join');
  screen.onpointerdown = resumeAudio;
  screen.onkeydown = resumeAudio;
  if (options.askName) $('j-name').focus();
  else $('j-submit').focus();
  return open(options.video === false ? '' : null, null);
}

export function stop() {
  generation++;
  if (navigator.mediaDevices) navigator.mediaDevices.ondevicechange = null;
  stopStream();
  stopMeter();
}
