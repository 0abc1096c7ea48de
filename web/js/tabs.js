// The side panel's tabs (WAI-ARIA tabs pattern): people, chat, polls and,
// for staff, attendance. Arrow keys move between tabs; the chat's unread
// count resets when its panel is shown.

import { $ } from './dom.js';
import { state, isStaff, onChange, changed } from './session.js';

let current = 'people';

export function selected() {
  return current;
}

export function select(name) {
  current = name;
  for (const tab of document.querySelectorAll('#tabs [role=tab]')) {
    const on = tab.id === `tab-${name}`;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute('aria-controls')).hidden = !on;
  }
  if (name === 'chat') {
    state.chatUnread = 0;
    changed('chat-unread');
  }
  changed(`tab-${name}`);
}

export function init() {
  const list = $('tabs');
  list.addEventListener('click', (ev) => {
    const tab = ev.target.closest('[role=tab]');
    if (tab) select(tab.id.slice(4));
  });
  list.addEventListener('keydown', (ev) => {
    const tabs = [...list.querySelectorAll('[role=tab]')].filter((x) => !x.hidden);
    const i = tabs.findIndex((x) => x.id === `tab-${current}`);
    let j = -1;
    if (ev.key === 'ArrowRight') j = (i + 1) % tabs.length;
    else if (ev.key === 'ArrowLeft') j = (i - 1 + tabs.length) % tabs.length;
    else if (ev.key === 'Home') j = 0;
    else if (ev.key === 'End') j = tabs.length - 1;
    if (j < 0) return;
    ev.preventDefault();
    select(tabs[j].id.slice(4));
    tabs[j].focus();
  });
  onChange('phase', () => {
    $('tab-attendance').hidden = !isStaff();
    if (!isStaff() && current === 'attendance') select('people');
  });
}
