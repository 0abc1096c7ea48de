// The local microphone and camera, sent only when the server allows it:
// staff always, students when they hold the floor or the lesson lets students
// publish. The user's own mic/camera switches and a staff mute apply on top.
// Everything funnels through sync(), which is idempotent: call it after any
// change of rights, floor, switches or lesson options.

import { Publisher } from './peer.js';
import { state, can, changed, isStaff } from './session.js';

const AUDIO = { echoCancellation: false, noiseSuppression: false, autoGainControl: false };
const VIDEO = { width: 320, height: 240, frameRate: 15 };
// ?simulcast=1: a larger camera sent as three layers (peer.js); off by
// default to save the sender's CPU.
const SIMULCAST = new URLSearchParams(location.search).get('simulcast') === '1';
const SIMULCAST_VIDEO = { width: 640, height: 480, frameRate: 15 };

let publisher = null;
let audioTrack = null;
let videoTrack = null;
let running = Promise.resolve();
let hooks = { onState: () => {}, onError: () => {}, onPublished: () => {} };
let wantVideo = true; // what the person chose when joining (?video=0, the pre-join screen)
let devices = { camId: null, micId: null }; // chosen on the pre-join screen (null: the default)
let screenTrack = null; // the screen share being sent (owned here)

export function start(sig, options) {
  hooks = options;
  wantVideo = options.video !== false;
  devices = { camId: options.camId || null, micId: options.micId || null };
  state.cam = wantVideo;
  publisher = new Publisher(sig, hooks.onState, { simulcast: SIMULCAST });
  return sync();
}

export function mayPublish() {
  return can('publish') || state.studentsPublish || state.floor.includes(state.participant);
}

// The camera: staff always; students when the lesson lets them publish, or
// with the floor if the lesson allows video (floor_may_send on the server).
export function mayVideo() {
  return isStaff() || state.studentsPublish || state.studentsVideo !== false;
}

async function getTrack(kind) {
  const id = kind === 'audio' ? devices.micId : devices.camId;
  const base = kind === 'audio' ? AUDIO : (SIMULCAST ? SIMULCAST_VIDEO : VIDEO);
  const ask = (c) => navigator.mediaDevices.getUserMedia(kind === 'audio' ? { audio: c, video: false } : { audio: false, video: c });
  let stream;
  try {
    stream = await ask(id ? { ...base, deviceId: { exact: id } } : base);
  } catch (e) {
    // The chosen device went away (unplugged): any device of the kind.
    if (!id || (e.name !== 'OverconstrainedError' && e.name !== 'NotFoundError')) throw e;
    stream = await ask(base);
  }
  return stream.getTracks()[0];
}

function stopTrack(track) {
  if (track) track.stop();
  return null;
}

async function apply() {
  if (!publisher || state.phase !== 'joined') return;
  const allowed = mayPublish();
  const sendAudio = allowed;
  const sendVideo = allowed && wantVideo && state.cam && mayVideo() && !state.videoStoppedBy;
  try {
    if (sendAudio && !audioTrack) audioTrack = await getTrack('audio');
    if (!sendAudio) audioTrack = stopTrack(audioTrack);
  } catch (e) {
    hooks.onError(new Error(`mic: ${e.name}: ${e.message}`));
  }
  try {
    if (sendVideo && !videoTrack) videoTrack = await getTrack('video');
    if (!sendVideo) videoTrack = stopTrack(videoTrack);
  } catch (e) {
    wantVideo = false; // no camera: do not ask again
    hooks.onError(new Error(`camera: ${e.name}: ${e.message}`));
  }
  if (audioTrack) audioTrack.enabled = state.mic;
  if (!publisher) return; // left while asking for devices
  if (screenTrack && !(allowed && mayVideo())) await stopScreen(); // the floor was taken
  const stream = new MediaStream([audioTrack, videoTrack].filter(Boolean));
  await publisher.set(audioTrack, videoTrack, stream);
  state.publishing = Boolean(audioTrack || videoTrack);
  state.publishedTracks = publisher.tracks;
  hooks.onPublished(publisher.pc, videoTrack ? stream : null);
  changed('media');
}

// The server closed the publish transport: a new connection, the same tracks
// (a screen share ends: the person shares again if they want).
export function restart() {
  if (!publisher) return Promise.resolve();
  publisher.close();
  publisher = new Publisher(publisher.sig, hooks.onState, { simulcast: SIMULCAST });
  screenTrack = stopTrack(screenTrack);
  changed('media');
  return sync();
}

// ICE restart of the publish connection (app.js decides when); rejects
// when the server refuses it.
export function restartIce() {
  return publisher ? publisher.restartIce() : Promise.resolve();
}

export function sync() {
  running = running.then(apply).catch((e) => hooks.onError(e));
  return running;
}

export function setMic(on) {
  state.mic = on;
  if (audioTrack) audioTrack.enabled = on;
  changed('media');
}

export function setCam(on) {
  state.cam = on;
  if (on) wantVideo = true;
  return sync();
}

export function hasCamera() {
  return wantVideo;
}

// Screen sharing (getDisplayMedia), sent with Publisher.setScreen: staff,
// and students allowed to publish video. Slides need few frames: at most
// 1280 pixels wide and 10 frames a second keep it light for weak links.
// onEnded runs when the share stops by itself (the browser's own "stop
// sharing" button ends the track).
export const SCREEN_CONSTRAINTS = { video: { width: { max: 1280 }, height: { max: 720 }, frameRate: { max: 10 } }, audio: false };

export function mayScreen() {
  return mayPublish() && mayVideo() && typeof navigator.mediaDevices.getDisplayMedia === 'function';
}

export function sharing() {
  return screenTrack;
}

export async function startScreen(onEnded) {
  if (screenTrack) return screenTrack;
  const s = await navigator.mediaDevices.getDisplayMedia(SCREEN_CONSTRAINTS);
  const track = s.getVideoTracks()[0];
  if (!track) throw new Error('no screen track');
  track.contentHint = 'detail';
  return sendScreen(track, onEnded);
}

// Sends `track` as the screen share (tests give a canvas track here).
export async function sendScreen(track, onEnded = () => {}) {
  if (!publisher || typeof publisher.setScreen !== 'function') {
    track.stop();
    throw new Error('screen sharing is not available on this connection');
  }
  if (screenTrack && screenTrack !== track) screenTrack.stop();
  screenTrack = track;
  track.addEventListener('ended', () => {
    if (screenTrack !== track) return;
    stopScreen().finally(onEnded);
  });
  changed('media');
  try {
    await publisher.setScreen(track);
  } catch (e) {
    if (screenTrack === track) screenTrack = stopTrack(track);
    changed('media');
    throw e;
  }
  return track;
}

export async function stopScreen() {
  const track = screenTrack;
  screenTrack = null;
  if (track) track.stop();
  changed('media');
  if (publisher && typeof publisher.setScreen === 'function') await publisher.setScreen(null);
}

export function stop() {
  screenTrack = stopTrack(screenTrack);
  audioTrack = stopTrack(audioTrack);
  videoTrack = stopTrack(videoTrack);
  if (publisher) publisher.close();
  publisher = null;
  state.publishing = false;
  state.publishedTracks = [];
}
