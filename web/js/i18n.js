// Every string the page shows, by key. English now; Kazakh and Russian
// tables come later with the same keys (the lesson's language, or the
// browser's, will pick one). t(key, {name: ...}) fills {name}-style holes;
// an unknown key comes back as itself, so a missing string is visible.
// applyI18n(root) fills the markup's data-i18n (text), data-i18n-aria
// (aria-label), data-i18n-placeholder and data-i18n-title attributes.

const en = {
  'app.name': 'Sabaq',

  'signin.title': 'Welcome to Sabaq',
  'signin.staff': 'Teachers and assistants: open the personal sign-in link your school gave you.',
  'signin.student': 'Students: open the lesson link your teacher sent you.',

  'home.title': 'Your lessons',
  'create.title': 'New lesson',
  'create.lesson_title': 'Title',
  'create.language': 'Language',
  'create.start': 'Starts at',
  'create.duration': 'Duration (minutes)',
  'create.max': 'Max participants',
  'create.lobby': 'Students wait in a lobby until admitted',
  'create.students_publish': 'Students may use their mic and camera without the floor',
  'create.students_video': 'Students given the floor may use their camera too',
  'create.submit': 'Create lesson',
  'create.done': 'Lesson created: share the links below.',
  'lang.kk': 'Kazakh',
  'lang.ru': 'Russian',
  'lang.en': 'English',
  'links.title': 'Links to the lesson',
  'links.teacher': 'Teacher',
  'links.assistant': 'Assistant',
  'links.student': 'Students',
  'links.copy': 'Copy',
  'links.copy_aria': 'Copy the {role} link',
  'links.open': 'Open',
  'links.open_aria': 'Open the {role} link',
  'links.copied': 'Link copied.',
  'lessons.title': 'My lessons',
  'lessons.empty': 'No lessons yet.',
  'lessons.minutes': '{n} min',
  'lessons.ended': 'ended',
  'lessons.links': 'Links',
  'lessons.links_aria': 'Show the links of {title}',
  'roster.file': 'Class list (CSV: name, class, school)',
  'roster.upload': 'Make student links',
  'roster.upload_aria': 'Upload the class list of {title}',
  'roster.choose': 'Choose a CSV file first.',
  'roster.name': 'Name',
  'roster.class': 'Class',
  'roster.school': 'School',
  'roster.link': 'Personal link',
  'roster.link_aria': 'Personal link of {name}',
  'roster.copy_aria': 'Copy the link of {name}',
  'roster.state': 'State',
  'roster.unused': 'not used yet',
  'roster.used': 'used',
  'roster.removed': 'removed from the lesson',
  'roster.revoked': 'revoked',
  'roster.revoke': 'Revoke',
  'roster.revoke_aria': 'Revoke the link of {name}',
  'roster.revoke_confirm': 'Revoke the link of {name}? It will stop working.',

  'join.title': 'Join the lesson',
  'join.name': 'Your name',
  'join.camera': 'Camera',
  'join.submit': 'Join',

  'lobby.waiting_title': 'Waiting room',
  'lobby.waiting': 'Please wait: the teacher will let you in shortly.',
  'lobby.title': 'Waiting room',
  'lobby.admit': 'Admit',
  'lobby.admit_aria': 'Admit {name}',
  'lobby.admit_all': 'Admit all',
  'lobby.admit_all_aria': 'Admit everyone who is waiting',
  'lobby.removed': 'removed',
  'lobby.readmit': 'Let back in',
  'lobby.readmit_aria': 'Let {name} join again',

  'ended.ended': 'The lesson has ended.',
  'ended.removed': 'You were removed from the lesson.',
  'ended.left': 'You left the lesson.',
  'ended.closed': 'The connection to the server was lost.',
  'ended.refused': 'Could not join the lesson.',
  'ended.replaced': 'You opened this lesson in another window; this one is closed.',
  'lesson.reconnecting': 'Connection lost: reconnecting...',
  'lesson.leave': 'Leave',
  'lesson.leave_aria': 'Leave the lesson',
  'lesson.rejoin': 'Join again',
  'lesson.end': 'End lesson',
  'lesson.end_aria': 'End the lesson for everyone',
  'lesson.end_confirm': 'End the lesson for everyone?',
  'lesson.lock': 'Lock',
  'lesson.lock_aria': 'Lock the lesson: nobody new can join',
  'lesson.unlock': 'Unlock',
  'lesson.unlock_aria': 'Unlock the lesson',
  'lesson.locked': 'The lesson is locked.',

  'toolbar.label': 'Lesson controls',
  'status.label': 'Connection',
  'status.ws': 'Signaling:',
  'status.publish': 'Publish:',
  'status.subscribe': 'Subscribe:',
  'status.me': 'You:',
  'tiles.you': 'You',
  'tiles.grid': 'Videos',
  'media.unblock': 'Click to start sound and video',
  'media.mic_on': 'Mic on',
  'media.mic_on_aria': 'Microphone is on: turn it off',
  'media.mic_off': 'Mic off',
  'media.mic_off_aria': 'Microphone is off: turn it on',
  'media.cam_on': 'Camera on',
  'media.cam_on_aria': 'Camera is on: turn it off',
  'media.cam_off': 'Camera off',
  'media.cam_off_aria': 'Camera is off: turn it on',
  'media.muted_by_staff': 'A teacher muted your microphone.',
  'media.video_stopped': 'A teacher stopped your camera.',

  'tabs.label': 'Lesson panels',
  'tabs.people': 'People',
  'tabs.chat': 'Chat',
  'tabs.polls': 'Polls',
  'tabs.attendance': 'Attendance',

  'people.title': 'Participants',
  'people.you': '(you)',
  'people.away': 'reconnecting',
  'role.teacher': 'teacher',
  'role.assistant': 'assistant',
  'role.student': 'student',

  'hands.raise': 'Raise hand',
  'hands.raise_aria': 'Raise your hand',
  'hands.lower': 'Lower hand',
  'hands.lower_aria': 'Lower your hand',
  'hands.queue': 'Raised hands',
  'hands.empty': 'No hands raised.',
  'hands.badge': 'hand #{n}',
  'hands.lower_other': 'Lower',
  'hands.lower_other_aria': 'Lower the hand of {name}',
  'hands.raised_notice': '{name} raised a hand.',
  'floor.give': 'Give floor',
  'floor.give_aria': 'Give the floor to {name}',
  'floor.take': 'Take floor',
  'floor.take_aria': 'Take the floor back from {name}',
  'floor.badge': 'has the floor',
  'floor.you_have': 'You have the floor: your microphone is on.',
  'floor.given_notice': 'You have the floor.',
  'floor.taken_notice': 'The floor was taken back.',

  'mod.mute': 'Mute',
  'mod.mute_aria': 'Mute {name}',
  'mod.mute_all': 'Mute all',
  'mod.mute_all_aria': 'Mute every student',
  'mod.stop_video': 'Stop video',
  'mod.stop_video_aria': 'Stop the video of {name}',
  'mod.remove': 'Remove',
  'mod.remove_aria': 'Remove {name} from the lesson',
  'mod.remove_confirm': 'Remove {name} from the lesson?',
  'mod.muted_badge': 'muted',

  'chat.log': 'Chat messages',
  'chat.message': 'Message',
  'chat.placeholder': 'Write a message',
  'chat.to': 'To',
  'chat.to_all': 'Everyone',
  'chat.to_staff': 'Teachers only',
  'chat.send': 'Send',
  'chat.send_aria': 'Send the message',
  'chat.delete': 'Delete',
  'chat.delete_aria': 'Delete the message of {name}',
  'chat.deleted': 'message deleted',
  'chat.private_badge': 'to teachers',
  'chat.enabled': 'Students may chat',
  'chat.disabled_note': 'Chat is turned off for students.',
  'chat.unread': '{n} unread messages',
  'chat.too_long': 'A message can be at most 2000 characters.',

  'polls.new': 'New poll',
  'polls.question': 'Question',
  'polls.kind': 'Kind',
  'polls.kind_single': 'Single choice',
  'polls.kind_multiple': 'Multiple choice',
  'polls.kind_yes_no': 'Yes / no',
  'polls.kind_open': 'Short answer',
  'polls.options': 'Options (one per line)',
  'polls.options_hint': 'One option per line',
  'polls.anonymous': 'Anonymous',
  'polls.create': 'Start poll',
  'polls.need_options': 'Give at least two options.',
  'polls.empty': 'No polls yet.',
  'polls.new_badge': 'A new poll',
  'polls.poll_aria': 'Poll: {q}',
  'polls.yes': 'Yes',
  'polls.no': 'No',
  'polls.your_answer': 'Your answer',
  'polls.submit': 'Answer',
  'polls.change': 'Change answer',
  'polls.pick': 'Choose an answer first.',
  'polls.answered': 'Your answer is in. You can change it until the poll closes.',
  'polls.closed_answered': 'The poll is closed. Your answer counted.',
  'polls.closed': 'The poll is closed.',
  'polls.close': 'Close',
  'polls.close_aria': 'Close the poll {q}',
  'polls.publish': 'Publish results',
  'polls.publish_aria': 'Show the results of {q} to everyone',
  'polls.status_open': 'Open: answers are coming in.',
  'polls.status_closed': 'Closed.',
  'polls.status_published': 'Results published.',
  'polls.tally_count': '{n} answered',
  'polls.results_count': 'Results: {n} answered',

  'att.name': 'Name',
  'att.present': 'Here now',
  'att.minutes': 'Minutes',
  'att.speaking': 'Speaking',
  'att.chat': 'Chat',
  'att.hands': 'Hands',
  'att.polls': 'Poll answers',
  'att.yes': 'yes',
  'att.no': 'no',
  'att.never': 'never came',
  'att.seconds': '{n} s',
  'att.csv': 'Attendance (CSV)',
  'att.polls_csv': 'Polls (CSV)',

  'right.publish': 'use the mic or camera',
  'right.mute_others': 'mute others',
  'right.admit': 'admit people',
  'right.remove': 'remove people',
  'right.lock': 'lock the lesson',
  'right.end_lesson': 'end the lesson',
  'right.raise_hand': 'raise a hand',
  'right.give_floor': 'give the floor',
  'right.manage_polls': 'manage polls',
  'right.chat': 'chat',
  'right.moderate_chat': 'moderate the chat',

  'err.server': 'Server',
  'err.closed': 'The connection to the server closed.',
  'err.name': 'Please enter a name (1-64 characters).',
  'err.pc_failed': 'The {label} connection failed (ICE {ice}).',
  'err.transport': 'Sending media stopped ({reason}); it will restart.',
  'err.forbidden': 'You are not allowed to {right}.',
  'err.bad_token': 'This link is not valid.',
  'err.token_expired': 'This link has expired.',
  'err.wrong_lesson': 'This link is for another lesson.',
  'err.revoked': 'This link was revoked.',
  'err.link_used': 'This link is already in use.',
  'err.removed': 'You were removed from this lesson.',
  'err.replaced': 'You joined from another window.',
  'err.lesson_full': 'The lesson is full.',
  'err.lesson_locked': 'The lesson is locked.',
  'err.lesson_ended': 'The lesson has ended.',
  'err.not_found': 'Not found.',
  'err.too_long': 'The message is too long.',
  'err.rate_limited': 'Too many messages: wait a few seconds.',
  'err.poll_closed': 'The poll is closed.',
};

const tables = { en };
let table = en;

export function setLanguage(lang) {
  table = tables[lang] || en;
  document.documentElement.lang = tables[lang] ? lang : 'en';
}

export function t(key, params) {
  let s = table[key] ?? en[key];
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] !== undefined ? String(params[k]) : m));
  return s;
}

export function has(key) {
  return table[key] !== undefined || en[key] !== undefined;
}

// A sentence for an error: a server `error` (or the SignalingError made from
// one) by its code when the table has it, else its own message.
export function describeError(e) {
  const code = e && e.code;
  if (code && has(`err.${code}`)) {
    const right = e.right ? (has(`right.${e.right}`) ? t(`right.${e.right}`) : e.right) : '';
    return t(`err.${code}`, { right });
  }
  if (e instanceof Error) return e.message;
  return e && e.message ? `${e.message} [${code}]` : String(e);
}

export function applyI18n(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}
