// The lesson's toolbar: own mic, camera and screen share, raise/lower hand
// (students), mute all, lock and end (staff). Buttons show only what the
// person's role may do; the server enforces it anyway.

import { $ } from './dom.js';
import { t, setText, setAria } from './i18n.js';
import { state, can, onChange, changed } from './session.js';
import * as media from './media.js';

function setToggle(btn, pressed, textKey, ariaKey) {
  btn.setAttribute('aria-pressed', String(pressed));
  setText(btn, textKey);
  setAria(btn, ariaKey);
}

function render() {
  const allowed = media.mayPublish();
  const mic = $('btn-mic');
  const micOn = allowed && state.mic && !state.mutedBy;
  setToggle(mic, !micOn, micOn ? 'media.mic_on' : 'media.mic_off', micOn ? 'media.mic_on_aria' : 'media.mic_off_aria');
  mic.disabled = !allowed;
  const cam = $('btn-cam');
  const camOn = allowed && media.mayVideo() && state.cam && media.hasCamera() && !state.videoStoppedBy;
  setToggle(cam, !camOn, camOn ? 'media.cam_on' : 'media.cam_off', camOn ? 'media.cam_on_aria' : 'media.cam_off_aria');
  cam.disabled = !allowed || !media.mayVideo();
  const screen = $('btn-screen');
  const sharing = Boolean(media.sharing());
  screen.hidden = !(media.mayScreen() || sharing);
  setToggle(screen, sharing, sharing ? 'screen.stop' : 'screen.start', sharing ? 'screen.stop_aria' : 'screen.start_aria');
  const hand = $('btn-hand');
  hand.hidden = !can('raise_hand');
  const raised = state.hands.includes(state.participant);
  setToggle(hand, raised, raised ? 'hands.lower' : 'hands.raise', raised ? 'hands.lower_aria' : 'hands.raise_aria');
  $('btn-mute-all').hidden = !can('mute_others');
  const lock = $('btn-lock');
  lock.hidden = !can('lock');
  setToggle(lock, state.locked, state.locked ? 'lesson.unlock' : 'lesson.lock',
    state.locked ? 'lesson.unlock_aria' : 'lesson.lock_aria');
  $('btn-end').hidden = !can('end_lesson');
  $('floor-note').hidden = !(state.role === 'student' && state.floor.includes(state.participant));
}

export function init(ctx) {
  // Muted by staff, the media stops at the server: turning it back on asks
  // the server (`unmute`, refused without the right to publish).
  $('btn-mic').addEventListener('click', () => {
    if (state.mutedBy) {
      state.mutedBy = null;
      ctx.send({ type: 'unmute', kind: 'audio' });
      media.setMic(true);
    } else media.setMic(!state.mic);
    changed('toolbar');
  });
  $('btn-cam').addEventListener('click', () => {
    const on = state.cam && media.hasCamera() && !state.videoStoppedBy;
    if (state.videoStoppedBy) {
      state.videoStoppedBy = null;
      ctx.send({ type: 'unmute', kind: 'video' });
    }
    media.setCam(!on).then(() => changed('toolbar'));
    changed('toolbar');
  });
  $('btn-screen').addEventListener('click', async () => {
    const btn = $('btn-screen');
    btn.disabled = true;
    try {
      if (media.sharing()) await media.stopScreen();
      else await media.startScreen(() => { changed('toolbar'); ctx.notice('screen.ended_notice'); });
    } catch (e) {
      // The person closed the browser's picker: not an error worth a banner.
      if (e.name !== 'NotAllowedError' && e.name !== 'AbortError') ctx.showError(t('screen.failed', { error: e.message }));
    } finally {
      btn.disabled = false;
      changed('toolbar');
    }
  });
  $('btn-hand').addEventListener('click', () => {
    const raised = state.hands.includes(state.participant);
    ctx.send({ type: raised ? 'hand_lower' : 'hand_raise' });
  });
  $('btn-mute-all').addEventListener('click', () => ctx.send({ type: 'mute_all' }));
  $('btn-lock').addEventListener('click', () => ctx.send({ type: 'lesson_lock', locked: !state.locked }));
  $('btn-end').addEventListener('click', () => {
    if (window.confirm(t('lesson.end_confirm'))) ctx.send({ type: 'lesson_end' });
  });
  // Arrow keys move along the toolbar (WAI-ARIA toolbar pattern); Tab still
  // stops at each control, as people who do not know the pattern expect.
  $('toolbar').addEventListener('keydown', (ev) => {
    if (!['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(ev.key)) return;
    if (ev.target.tagName === 'SELECT') return; // arrows choose an option there
    const items = [...$('toolbar').querySelectorAll('button, select, a[href]')]
      .filter((el) => !el.disabled && !el.closest('[hidden]') && el.getClientRects().length);
    const i = items.indexOf(document.activeElement);
    if (i < 0) return;
    const j = ev.key === 'Home' ? 0 : ev.key === 'End' ? items.length - 1
      : (i + (ev.key === 'ArrowRight' ? 1 : items.length - 1)) % items.length;
    ev.preventDefault();
    items[j].focus();
  });
  for (const topic of ['phase', 'toolbar', 'media', 'hands', 'floor']) onChange(topic, render);
}
