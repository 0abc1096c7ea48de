// The lesson chat: public messages and private messages to staff, the last
// messages replayed on joining, an unread count while the panel is hidden,
// and for staff: delete a message, disable chat for students.

import { $, h, fmtTime } from './dom.js';
import { t, setAria, describeError } from './i18n.js';
import { state, can, request, handle, onChange, changed, isStaff } from './session.js';
import { selected } from './tabs.js';

const MAX_KEPT = 500;

// A `chat` message (or an entry of `chat_history`) as the page keeps it.
function normalize(x) {
  return {
    id: x.id,
    from: x.mine ? state.participant : x.from,
    name: x.name || '',
    role: x.role || '',
    text: typeof x.text === 'string' ? x.text : '',
    to: x.to || 'all',
    ts: x.at || 0,
    deleted: Boolean(x.deleted),
  };
}

function add(msg, countUnread) {
  if (msg.id !== undefined && state.chat.some((c) => c.id === msg.id)) return;
  state.chat.push(msg);
  if (state.chat.length > MAX_KEPT) state.chat.splice(0, state.chat.length - MAX_KEPT);
  if (countUnread && msg.from !== state.participant && selected() !== 'chat') {
    state.chatUnread += 1;
    changed('chat-unread');
  }
  changed('chat');
}

function setEnabled(on) {
  state.chatEnabled = on;
  changed('chat', 'chat-state');
}

function item(ctx, c) {
  const mine = c.from === state.participant;
  const li = h('li', { class: `msg${c.to === 'staff' ? ' private' : ''}${mine ? ' mine' : ''}`, dataset: { id: c.id ?? '' } },
    h('span', { class: 'meta' },
      h('b', { class: 'from', text: c.name || c.from || '' }),
      c.to === 'staff' ? h('span', { class: 'badge', i18n: 'chat.private_badge' }) : null,
      c.ts ? h('time', { text: fmtTime(c.ts) }) : null),
    c.deleted ? h('span', { class: 'text deleted', i18n: 'chat.deleted' }) : h('span', { class: 'text', text: c.text }));
  if (!c.deleted && can('moderate_chat') && c.id !== undefined) {
    li.append(h('button', {
      type: 'button', class: 'link delete', i18n: 'chat.delete', aria: ['chat.delete_aria', { name: c.name }],
      onclick: () => ctx.send({ type: 'chat_delete', id: c.id }),
    }));
  }
  return li;
}

function render(ctx) {
  const log = $('chat-log');
  const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 20;
  log.replaceChildren(...state.chat.map((c) => item(ctx, c)));
  if (stick) log.scrollTop = log.scrollHeight;
  renderState();
}

function renderState() {
  const staff = can('moderate_chat');
  $('chat-staff-tools').hidden = !staff;
  $('chat-enabled').checked = state.chatEnabled;
  const blocked = !state.chatEnabled && !isStaff();
  $('chat-disabled-note').hidden = state.chatEnabled;
  for (const id of ['chat-text', 'chat-send', 'chat-to']) $(id).disabled = blocked;
}

function renderUnread() {
  const b = $('chat-unread');
  b.hidden = state.chatUnread === 0;
  b.textContent = String(state.chatUnread);
  setAria(b, 'chat.unread', { n: state.chatUnread });
  // In the tab's title too, for a person looking at another window.
  document.title = state.chatUnread ? `(${state.chatUnread}) Sabaq` : 'Sabaq';
}

async function submit(ctx) {
  const box = $('chat-text');
  const text = box.value.trim();
  if (!text) return;
  if (text.length > 2000) {
    ctx.showError(t('chat.too_long'));
    return;
  }
  const to = $('chat-to').value;
  $('chat-send').disabled = true;
  try {
    // chat_ack {id}; the message itself comes back as `chat`.
    await request({ type: 'chat_send', text, to });
    box.value = '';
  } catch (e) {
    ctx.showError(describeError(e));
  } finally {
    renderState();
    if (!$('chat-send').disabled) box.focus();
  }
}

export function init(ctx) {
  handle('chat', (m) => add(normalize(m), true));
  handle('chat_history', (m) => {
    // Sent after every join (reconnects included): it replaces what we had.
    state.chat = [];
    for (const x of m.messages || []) add(normalize(x), false);
    changed('chat');
  });
  handle('chat_deleted', (m) => {
    const c = state.chat.find((x) => x.id === m.id);
    if (c) {
      c.deleted = true;
      c.text = '';
      changed('chat');
    }
  });
  handle('chat_state', (m) => setEnabled(m.enabled !== false));
  $('chat-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    submit(ctx);
  });
  $('chat-text').addEventListener('keydown', (ev) => {
    // Enter sends, Shift+Enter is a new line.
    if (ev.key === 'Enter' && !ev.shiftKey) {
      ev.preventDefault();
      submit(ctx);
    }
  });
  $('chat-enabled').addEventListener('change', (ev) => {
    ctx.send({ type: 'chat_set_enabled', enabled: ev.target.checked });
  });
  onChange('chat', () => render(ctx));
  onChange('chat-state', renderState);
  onChange('phase', () => render(ctx));
  onChange('chat-unread', renderUnread);
}
